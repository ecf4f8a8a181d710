package identity_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/audit"
	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/logging"
	"github.com/astralcore/astral/internal/notify"
	"github.com/astralcore/astral/internal/phi"
	"github.com/astralcore/astral/internal/phi/localkey"
	"github.com/astralcore/astral/internal/policy"
	"github.com/astralcore/astral/internal/store"
	"github.com/astralcore/astral/internal/store/storetest"
)

// switchableProvider wraps a real provider and can be taken down.
type switchableProvider struct {
	phi.KeyProvider
	down atomic.Bool
}

func (p *switchableProvider) GenerateDataKey(ctx context.Context, aad []byte) ([]byte, phi.WrappedKey, error) {
	if p.down.Load() {
		return nil, phi.WrappedKey{}, phi.ErrUnavailable
	}
	return p.KeyProvider.GenerateDataKey(ctx, aad)
}

func (p *switchableProvider) Unwrap(ctx context.Context, w phi.WrappedKey, aad []byte) ([]byte, error) {
	if p.down.Load() {
		return nil, phi.ErrUnavailable
	}
	return p.KeyProvider.Unwrap(ctx, w, aad)
}

// fixture is a practice with people, over real components: the store, the
// keystore, the local key provider, the audit recorder and the policy.
type fixture struct {
	db       *store.DB
	keys     *phi.Keyring
	provider *switchableProvider
	recorder *audit.Recorder
	svc      *identity.ProfileService
	logs     *bytes.Buffer
	log      *slog.Logger
	mail     *notify.Outbox
	org      string
	admin    identity.Actor
	patient  identity.Actor
	other    identity.Actor // another patient
	ther     identity.Actor // on the patient's care team
	stranger identity.Actor // a therapist who is not
}

func newFixture(t testing.TB, db *store.DB, keydb *store.KeyDB) *fixture {
	t.Helper()
	logs := &bytes.Buffer{}
	log := logging.New(logs, slog.LevelDebug)
	lk, err := localkey.OpenOrCreateDev(t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	outbox, err := notify.NewOutbox(filepath.Join(t.TempDir(), "outbox"), nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, provider: &switchableProvider{KeyProvider: lk}, logs: logs, log: log, mail: outbox}
	f.keys = phi.NewKeyring(f.provider, keydb, phi.KeyringOptions{Logger: log, ProviderTimeout: time.Second})
	f.recorder = storetest.NewAuditRecorder(t, db, storetest.NewAuditSigner(t), audit.Options{Logger: log})
	f.svc = identity.NewProfileService(db, db, f.keys, policy.New(db), f.recorder, nil, log)
	f.org = storetest.MustOrganization(t, db).ID
	mk := func(r identity.Role) identity.Actor {
		return identity.Actor{UserID: storetest.MustUser(t, db, f.org, r).ID, OrgID: f.org, Role: r}
	}
	f.admin, f.patient, f.other = mk(identity.RoleAdmin), mk(identity.RolePatient), mk(identity.RolePatient)
	f.ther, f.stranger = mk(identity.RoleTherapist), mk(identity.RoleTherapist)
	if _, err := db.StartCareRelationship(context.Background(), f.org, f.ther.UserID, f.patient.UserID, true); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) auditEntries(t *testing.T, action string) []audit.Entry {
	t.Helper()
	es, err := f.db.AuditEntries(context.Background(), audit.Filter{OrgID: f.org, Action: &action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func ptr(s string) *string { return &s }

const canary = "CANARY-7f3a-Zebulon"

func canaryInput() identity.ProfileInput {
	return identity.ProfileInput{
		LegalName:     ptr(canary + " Legal"),
		PreferredName: ptr(canary + " Pref"),
		Email:         ptr("canary-7f3a@example.org"),
		Phone:         ptr("+49 30 7331 9977"),
		BirthDate:     ptr("1984-02-29"),
	}
}

func TestProfileServiceSQLite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "astral.db")
	db, err := store.Open(context.Background(), "sqlite", path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, db, storetest.NewKeyStoreSQLite(t))
	runProfileContract(t, f)

	// The plaintext canary is nowhere in the database files.
	if err := f.recorder.Close(); err != nil {
		t.Fatal(err)
	}
	matches, _ := filepath.Glob(path + "*")
	if len(matches) == 0 {
		t.Fatal("no database files found")
	}
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, leak := range []string{canary, "canary-7f3a", "7331 9977", "1984-02-29"} {
			if bytes.Contains(b, []byte(leak)) {
				t.Errorf("%s contains the plaintext %q", filepath.Base(m), leak)
			}
		}
	}
}

func TestProfileServicePostgres(t *testing.T) {
	url := storetest.PostgresURL(t)
	db, err := store.Open(context.Background(), "postgres", url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, db, storetest.NewKeyStorePostgres(t))
	runProfileContract(t, f)

	// The plaintext canary is nowhere in a dump of the database.
	out, err := exec.Command("pg_dump", "--no-owner", "--data-only", url).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("user_profiles")) {
		t.Fatalf("pg_dump output lacks the profiles table; is this the right database?")
	}
	for _, leak := range []string{canary, "canary-7f3a", "7331 9977", "1984-02-29"} {
		if bytes.Contains(out, []byte(leak)) {
			t.Errorf("pg_dump contains the plaintext %q", leak)
		}
	}
}

// runProfileContract exercises the service as its callers will, on one
// engine.
func runProfileContract(t *testing.T, f *fixture) {
	ctx := context.Background()

	// The admin saves the patient's profile; the patient and the therapist on
	// the care team read it.
	p, err := f.svc.SetProfile(ctx, f.admin, f.patient.UserID, 0, canaryInput())
	if err != nil {
		t.Fatalf("SetProfile: %v", err)
	}
	if p.Version != 1 || p.Email.Reveal() != "canary-7f3a@example.org" {
		t.Fatalf("saved profile: version %d", p.Version)
	}
	for _, reader := range []identity.Actor{f.patient, f.ther, f.admin} {
		got, err := f.svc.Profile(ctx, reader, f.patient.UserID)
		if err != nil {
			t.Fatalf("Profile as %s: %v", reader.Role, err)
		}
		if got.LegalName.Reveal() != canary+" Legal" || got.BirthDate.Reveal() != "1984-02-29" || got.Phone.Reveal() != "+49 30 7331 9977" {
			t.Errorf("Profile as %s returned other values", reader.Role)
		}
	}
	// Others may not learn the profile exists.
	for _, reader := range []identity.Actor{f.other, f.stranger} {
		if _, err := f.svc.Profile(ctx, reader, f.patient.UserID); !errs.Is(err, errs.NotFound) {
			t.Errorf("Profile as unrelated %s: %v, want NotFound", reader.Role, err)
		}
	}
	if _, err := f.svc.SetProfile(ctx, f.ther, f.patient.UserID, 1, identity.ProfileInput{LegalName: ptr("x")}); !errs.Is(err, errs.Forbidden) {
		t.Errorf("therapist writing a profile: %v, want Forbidden", err)
	}

	// Every access is on the audit record; denials too; no values in it.
	if n := len(f.auditEntries(t, "profile.read")); n != 5 {
		t.Errorf("profile.read entries = %d, want 5 (3 allowed, 2 denied)", n)
	}
	upd := f.auditEntries(t, "profile.update")
	if len(upd) != 1 || upd[0].Outcome != audit.Success || upd[0].PatientID != f.patient.UserID || len(upd[0].Fields) != 5 || upd[0].DataHash == "" {
		t.Errorf("profile.update entries = %+v", upd)
	}
	if w := f.auditEntries(t, "profile.write"); len(w) != 1 || w[0].Outcome != audit.Denied {
		t.Errorf("denied write not audited: %+v", w)
	}

	// Lookup by email through the blind index, whatever the case.
	ids, err := f.svc.UserIDsByEmail(ctx, f.org, "  Canary-7F3A@Example.org ")
	if err != nil || len(ids) != 1 || ids[0] != f.patient.UserID {
		t.Errorf("UserIDsByEmail = %v, %v", ids, err)
	}

	// Bad input: every problem at once, nothing stored, nothing audited.
	before := len(f.auditEntries(t, "profile.update"))
	_, err = f.svc.SetProfile(ctx, f.other, f.other.UserID, 0, identity.ProfileInput{
		Email: ptr("not an email"), Phone: ptr("12"), BirthDate: ptr("2999-01-01"), LegalName: ptr("bad\x00name"),
	})
	if _, _, _, fields := errs.Public(err); !errs.Is(err, errs.Invalid) || len(fields) != 4 {
		t.Errorf("invalid input: %v with %d field problems, want Invalid with 4", err, len(fields))
	}
	if after := len(f.auditEntries(t, "profile.update")); after != before {
		t.Errorf("invalid input was audited as an update")
	}

	// The same email for another person of the practice is a conflict.
	_, err = f.svc.SetProfile(ctx, f.other, f.other.UserID, 0, identity.ProfileInput{Email: ptr("CANARY-7f3a@example.org")})
	if _, _, _, fields := errs.Public(err); !errs.Is(err, errs.Conflict) || len(fields) != 1 || fields[0].Field != "email" {
		t.Errorf("duplicate email: %v %+v", err, fields)
	}
	// A stale version is a conflict and changes nothing.
	if _, err := f.svc.SetProfile(ctx, f.patient, f.patient.UserID, 0, identity.ProfileInput{LegalName: ptr("x")}); !errs.Is(err, errs.Conflict) {
		t.Errorf("stale version: %v, want Conflict", err)
	}

	// Key provider down: 503 within the timeout, nothing written. A new
	// person needs a new data key, so the provider must be asked.
	newcomer := storetest.MustUser(t, f.db, f.org, identity.RolePatient)
	f.provider.down.Store(true)
	start := time.Now()
	_, err = f.svc.SetProfile(ctx, f.admin, newcomer.ID, 0, identity.ProfileInput{LegalName: ptr(canary)})
	if !errs.Is(err, errs.Unavailable) || time.Since(start) > 5*time.Second {
		t.Errorf("provider down: %v after %v, want Unavailable quickly", err, time.Since(start))
	}
	f.provider.down.Store(false)
	if got, err := f.svc.Profile(ctx, f.admin, newcomer.ID); err != nil || got.Version != 0 {
		t.Errorf("after the failed write the profile is %+v, %v; want none", got.Version, err)
	}

	// Crypto-shredding: the profile reads as erased, not as an error.
	if err := f.keys.Shred(ctx, phi.Owner{OrgID: f.org, PatientID: f.patient.UserID}); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Profile(ctx, f.patient, f.patient.UserID)
	if err != nil || !got.Erased || !got.LegalName.IsZero() {
		t.Errorf("after shredding: erased=%v err=%v", got.Erased, err)
	}

	// Audit fails closed: with the recorder closed, reads and writes fail.
	if err := f.recorder.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Profile(ctx, f.admin, f.other.UserID); !errs.Is(err, errs.Unavailable) {
		t.Errorf("read without audit: %v, want Unavailable", err)
	}
	if _, err := f.svc.SetProfile(ctx, f.admin, newcomer.ID, 0, identity.ProfileInput{LegalName: ptr("y")}); !errs.Is(err, errs.Unavailable) {
		t.Errorf("write without audit: %v, want Unavailable", err)
	}
	if _, err := f.db.ProfileByUserID(ctx, f.org, newcomer.ID); !errs.Is(err, errs.NotFound) {
		t.Errorf("a write without audit stored data: %v", err)
	}

	// Nothing personal reached the log.
	logs := f.logs.String()
	for _, leak := range []string{canary, "canary-7f3a", "7331 9977", "1984-02-29"} {
		if strings.Contains(logs, leak) {
			t.Errorf("log contains %q", leak)
		}
	}
	if errors.Is(err, phi.ErrPlaintextToDatabase) {
		t.Error("plaintext reached the store")
	}
}
