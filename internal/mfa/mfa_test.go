package mfa_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pquerna/otp/totp"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/logging"
	"github.com/astralcore/astral/internal/mfa"
	"github.com/astralcore/astral/internal/phi"
	"github.com/astralcore/astral/internal/phi/localkey"
	"github.com/astralcore/astral/internal/store"
	"github.com/astralcore/astral/internal/store/storetest"
)

// clock is a fake clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// cheapParams keep backup-code tests fast; TestNoPlaintextInDatabase uses the
// real defaults.
var cheapParams = mfa.BackupParams{Memory: 64, Time: 1, Threads: 1}

// fixture is one user of one practice over real components: a SQLite file,
// the keystore and keyring with the local key provider, and the service on
// a fake clock. Every log line of the store and the keyring lands in logs.
type fixture struct {
	db     *store.DB
	dbPath string
	svc    *mfa.Service
	clock  *clock
	logs   *bytes.Buffer
	org    string
	user   string
}

func newFixture(t *testing.T, params mfa.BackupParams) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{logs: &bytes.Buffer{}, dbPath: filepath.Join(t.TempDir(), "astral.db"),
		// 10 s into a 30-second step, so ±1 step is unambiguous.
		clock: &clock{t: time.Date(2026, 3, 1, 10, 0, 10, 0, time.UTC)}}
	log := logging.New(&lockedWriter{w: f.logs}, slog.LevelDebug)
	db, err := store.Open(ctx, store.DriverSQLite, f.dbPath, store.Options{Now: f.clock.Now, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	lk, err := localkey.OpenOrCreateDev(t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	keys := phi.NewKeyring(lk, storetest.NewKeyStoreSQLite(t), phi.KeyringOptions{Logger: log})
	f.db = db
	f.svc = mfa.NewService(db, keys, keys, mfa.Options{Now: f.clock.Now, BackupParams: params, EmailCodes: true})
	f.org = storetest.MustOrganization(t, db).ID
	f.user = storetest.MustUser(t, db, f.org, identity.RoleTherapist).ID
	return f
}

// lockedWriter lets concurrent goroutines log into one buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// codeAt computes the TOTP code for secret at t with an independent
// implementation (github.com/pquerna/otp).
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: 6})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// wantCodeInvalid fails unless err is the one generic refusal of a code.
func wantCodeInvalid(t *testing.T, what string, err error) {
	t.Helper()
	kind, msg, args, fields := errs.Public(err)
	want := []errs.FieldError{{Field: "code", Message: mfa.MsgCodeInvalid}}
	if kind != errs.Invalid || msg != "error.invalid" || args != nil || !cmp.Equal(fields, want) {
		t.Errorf("%s: err = %v (public %v %q %v %+v), want the generic invalid code", what, err, kind, msg, args, fields)
	}
}

// concurrently runs fn n times at once and returns how many returned nil;
// every other result must be the generic invalid code.
func concurrently(t *testing.T, n int, fn func() error) int {
	t.Helper()
	var (
		wg   sync.WaitGroup
		ok   atomic.Int32
		mu   sync.Mutex
		errl []error
	)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			if err := fn(); err == nil {
				ok.Add(1)
			} else {
				mu.Lock()
				errl = append(errl, err)
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errl {
		wantCodeInvalid(t, "concurrent refusal", err)
	}
	return int(ok.Load())
}

func TestFactors(t *testing.T) {
	f := newFixture(t, cheapParams)
	ctx := context.Background()
	got, err := f.svc.Factors(ctx, f.org, f.user)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(mfa.FactorSummary{Email: true}, got); diff != "" {
		t.Errorf("Factors before enrolment (-want +got):\n%s", diff)
	}
	enrol(t, f)
	if _, err := f.svc.RegenerateBackupCodes(ctx, f.org, f.user); err != nil {
		t.Fatal(err)
	}
	got, err = f.svc.Factors(ctx, f.org, f.user)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(mfa.FactorSummary{TOTP: true, BackupCodesLeft: 10, Email: true}, got); diff != "" {
		t.Errorf("Factors after enrolment (-want +got):\n%s", diff)
	}

	off := mfa.NewService(f.db, nil, nil, mfa.Options{Now: f.clock.Now})
	if got, err := off.Factors(ctx, f.org, f.user); err != nil || got.Email {
		t.Errorf("Factors with e-mail codes off = %+v, %v", got, err)
	}
}

// newUser adds another therapist to the fixture's practice.
func newUser(t *testing.T, f *fixture) string {
	t.Helper()
	return storetest.MustUser(t, f.db, f.org, identity.RoleTherapist).ID
}

// TestNoPlaintextInDatabase runs every factor with the real argon2id costs
// and then searches the database files (main file and WAL) for each secret
// in every form a user sees it, and the logs for the same (SECURITY.md V6
// item 8, V16 item 35).
func TestNoPlaintextInDatabase(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, mfa.DefaultBackupParams)
	e, err := f.svc.BeginTOTP(ctx, f.org, f.user, phi.NewText("ana@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ConfirmTOTP(ctx, f.org, f.user, codeAt(t, e.Secret.Reveal(), f.clock.Now())); err != nil {
		t.Fatal(err)
	}
	codes, err := f.svc.RegenerateBackupCodes(ctx, f.org, f.user)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.VerifyBackupCode(ctx, f.org, f.user, codes[0].Reveal()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.IssueEmailCode(ctx, f.org, f.user); err != nil {
		t.Fatal(err)
	}

	rawSecret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(e.Secret.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	canaries := map[string][]byte{
		"TOTP secret (base32)": []byte(e.Secret.Reveal()),
		"TOTP secret (raw)":    rawSecret,
		"TOTP URI":             []byte(e.URI.Reveal()),
	}
	for i, c := range codes {
		plain := strings.ReplaceAll(c.Reveal(), "-", "")
		canaries[fmt.Sprintf("backup code %d", i)] = []byte(c.Reveal())
		canaries[fmt.Sprintf("backup code %d without dashes", i)] = []byte(plain)
		canaries[fmt.Sprintf("backup code %d secret part", i)] = []byte(plain[2:])
	}
	// The 6-digit e-mail code is left out: six digits occur by chance in
	// timestamps and ids, so a search would give false alarms.

	entries, err := os.ReadDir(filepath.Dir(f.dbPath))
	if err != nil {
		t.Fatal(err)
	}
	// The control: the user's id, stored in the clear, is found.
	sawControl := false
	for _, ent := range entries {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(f.dbPath), ent.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sawControl = sawControl || bytes.Contains(b, []byte(f.user))
		for name, c := range canaries {
			if bytes.Contains(b, c) {
				t.Errorf("%s found in %s", name, ent.Name())
			}
		}
	}
	if !sawControl {
		t.Fatal("the user's id is in no database file: the search looked at the wrong files")
	}
	for name, c := range canaries {
		if bytes.Contains(f.logs.Bytes(), c) {
			t.Errorf("%s found in the logs", name)
		}
	}
}

// TestNothingSecretInErrors checks that refusals name neither the code
// typed nor a secret, in the log form and in what the client sees.
func TestNothingSecretInErrors(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, cheapParams)
	secret := enrol(t, f)
	codes, err := f.svc.RegenerateBackupCodes(ctx, f.org, f.user)
	if err != nil {
		t.Fatal(err)
	}
	email, err := f.svc.IssueEmailCode(ctx, f.org, f.user)
	if err != nil {
		t.Fatal(err)
	}
	totpCode := codeAt(t, secret, f.clock.Now()) // already used by enrol
	backup := codes[0].Reveal()
	last := "0"
	if strings.HasSuffix(backup, "0") {
		last = "1"
	}
	wrongBackup := backup[:len(backup)-1] + last
	attempts := []struct {
		name, input string
		err         error
	}{
		{"replayed TOTP", totpCode, f.svc.VerifyTOTP(ctx, f.org, f.user, totpCode)},
		{"wrong TOTP", wrongCode(totpCode), f.svc.VerifyTOTP(ctx, f.org, f.user, wrongCode(totpCode))},
		{"wrong backup code", wrongBackup, f.svc.VerifyBackupCode(ctx, f.org, f.user, wrongBackup)},
		{"wrong e-mail code", wrongCode(email.Reveal()), f.svc.VerifyEmailCode(ctx, f.org, f.user, wrongCode(email.Reveal()))},
	}
	for _, a := range attempts {
		wantCodeInvalid(t, a.name, a.err)
		kind, msg, args, fields := errs.Public(a.err)
		shown := fmt.Sprintf("%v %v %q %v %+v %#v", a.err, kind, msg, args, fields, a.err)
		for _, s := range []string{a.input, secret, backup, email.Reveal()} {
			if strings.Contains(shown, s) {
				t.Errorf("%s: error text holds a code or secret: %s", a.name, shown)
			}
		}
		if !errors.Is(a.err, mfa.ErrCodeInvalid) {
			t.Errorf("%s: errors.Is(err, ErrCodeInvalid) = false", a.name)
		}
	}
	// Secrets handed to callers do not print.
	printed := fmt.Sprintf("%v %+v %#v %s", codes, codes[0], email, email)
	if strings.Contains(printed, backup) || strings.Contains(printed, email.Reveal()) {
		t.Errorf("a returned secret prints: %s", printed)
	}
}
