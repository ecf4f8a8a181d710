package identity_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/audit"
	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/password"
	"github.com/astralcore/astral/internal/ratelimit"
	"github.com/astralcore/astral/internal/store"
	"github.com/astralcore/astral/internal/store/storetest"
)

// fakeClock is a settable clock for the throttle.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func passwordCheck(pw string, role identity.Role, personal ...string) error {
	return password.Check(pw, password.PolicyFor(role), personal...)
}

func newAccounts(t testing.TB, f *fixture, params password.Params) *identity.Accounts {
	t.Helper()
	h, err := password.NewHasher(params, 4)
	if err != nil {
		t.Fatal(err)
	}
	return identity.NewAccounts(f.db, f.db, f.svc, h, passwordCheck, f.recorder, f.mail, nil, f.log)
}

// cheap keeps the tests fast; production uses password.DefaultParams.
var cheap = password.Params{Memory: 64, Time: 1, Threads: 1}

func TestSetupAndLogin(t *testing.T) {
	db := storetest.NewSQLite(t)
	f := newFixture(t, db, storetest.NewKeyStoreSQLite(t))
	runSetupAndLogin(t, f, db)
}

func TestSetupAndLoginPostgres(t *testing.T) {
	db := storetest.NewPostgres(t)
	f := newFixture(t, db, storetest.NewKeyStorePostgres(t))
	runSetupAndLogin(t, f, db)
}

func runSetupAndLogin(t *testing.T, f *fixture, db *store.DB) {
	ctx := context.Background()
	acc := newAccounts(t, f, cheap)

	// The fixture already made a practice, so no setup token is offered.
	if tok, err := acc.PrepareSetup(ctx); err != nil || tok != "" {
		t.Fatalf("PrepareSetup with a practice = %q, %v; want none", tok, err)
	}
	// Set up a second practice through a token made directly.
	token, hash := identity.NewToken()
	if err := db.CreateSetupToken(ctx, hash, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Bad input: every problem at once, token still usable.
	_, err := acc.CompleteSetup(ctx, token, identity.SetupInput{PracticeName: "", PracticeSlug: "x", AdminName: "", AdminEmail: "nope", Password: "password"})
	_, _, _, fields := errs.Public(err)
	if !errs.Is(err, errs.Invalid) || len(fields) < 4 {
		t.Fatalf("bad setup: %v with %d problems %+v", err, len(fields), fields)
	}
	in := identity.SetupInput{PracticeName: "Lindenhof Praxis", PracticeSlug: "lindenhof", AdminName: "Ada Admin", AdminEmail: "ada@lindenhof.example", Password: "correct horse battery staple"}
	actor, err := acc.CompleteSetup(ctx, token, in)
	if err != nil {
		t.Fatalf("CompleteSetup: %v", err)
	}
	if actor.Role != identity.RoleAdmin {
		t.Errorf("first user is %s, want admin", actor.Role)
	}
	if _, err := acc.CompleteSetup(ctx, token, in); !errs.Is(err, errs.NotFound) {
		t.Errorf("setup token reused: %v", err)
	}

	clock := &fakeClock{t: time.Now()}
	throttle := ratelimit.NewMemoryBackoff(ratelimit.WithClock(clock.Now))

	res, err := acc.Authenticate(ctx, throttle, actor.OrgID, "ADA@lindenhof.example", in.Password)
	if err != nil || res.User.ID != actor.UserID {
		t.Fatalf("Authenticate: %+v, %v", res, err)
	}

	// Every failure gives the same answer.
	failures := []struct{ name, email, pw string }{
		{"wrong password", in.AdminEmail, "not the password at all"},
		{"unknown email", "nobody@lindenhof.example", in.Password},
		{"empty password", in.AdminEmail, ""},
		{"huge password", in.AdminEmail, strings.Repeat("x", 5000)},
	}
	var first string
	for _, tt := range failures {
		_, err := acc.Authenticate(ctx, throttle, actor.OrgID, tt.email, tt.pw)
		kind, msg, _, _ := errs.Public(err)
		if kind != errs.Unauthenticated {
			t.Errorf("%s: %v, want Unauthenticated", tt.name, err)
		}
		if first == "" {
			first = msg
		} else if msg != first {
			t.Errorf("%s: message %q differs from %q", tt.name, msg, first)
		}
	}

	// After repeated failures the account is throttled: the right password
	// gets the same answer until the wait is over, then works again, and
	// the caller learns how many attempts failed in between.
	for range 8 {
		_, _ = acc.Authenticate(ctx, throttle, actor.OrgID, in.AdminEmail, "still wrong, sorry")
	}
	if _, err := acc.Authenticate(ctx, throttle, actor.OrgID, in.AdminEmail, in.Password); !errs.Is(err, errs.Unauthenticated) {
		t.Errorf("throttled account signed in: %v", err)
	}
	clock.Add(16 * time.Minute)
	res, err = acc.Authenticate(ctx, throttle, actor.OrgID, in.AdminEmail, in.Password)
	if err != nil || res.PriorFailures < 5 {
		t.Errorf("after the wait: %+v, %v; want success reporting ≥5 checked failures", res.PriorFailures, err)
	}

	// A deactivated account cannot sign in, with the same answer.
	u, err := db.UserByID(ctx, actor.OrgID, actor.UserID)
	if err != nil {
		t.Fatal(err)
	}
	deactivated := identity.StatusDeactivated
	if _, err := db.UpdateUser(ctx, actor.OrgID, u.ID, u.Version, identity.UserUpdate{Status: &deactivated}); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.Authenticate(ctx, throttle, actor.OrgID, in.AdminEmail, in.Password); !errs.Is(err, errs.Unauthenticated) {
		t.Errorf("deactivated account: %v", err)
	}

	// Stronger parameters: the next sign-in rehashes the stored password.
	reactivated := identity.StatusActive
	u, _ = db.UserByID(ctx, actor.OrgID, actor.UserID)
	if _, err := db.UpdateUser(ctx, actor.OrgID, u.ID, u.Version, identity.UserUpdate{Status: &reactivated}); err != nil {
		t.Fatal(err)
	}
	before, _ := db.PasswordHash(ctx, actor.OrgID, actor.UserID)
	stronger := newAccounts(t, f, password.Params{Memory: 128, Time: 1, Threads: 1})
	if _, err := stronger.Authenticate(ctx, throttle, actor.OrgID, in.AdminEmail, in.Password); err != nil {
		t.Fatal(err)
	}
	after, _ := db.PasswordHash(ctx, actor.OrgID, actor.UserID)
	if before == after || !strings.Contains(after, "m=128") {
		t.Errorf("password not rehashed: %s", after)
	}

	// Every attempt is on the audit record.
	action := "auth.login"
	entries, err := db.AuditEntries(ctx, audit.Filter{OrgID: actor.OrgID, Action: &action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var ok, failed int
	for _, e := range entries {
		switch e.Outcome {
		case audit.Success:
			ok++
		default:
			failed++
		}
	}
	if ok != 3 || failed < 12 {
		t.Errorf("audit has %d successful and %d failed logins, want 3 and ≥12", ok, failed)
	}
}

func newHasher(p password.Params) (*password.Hasher, error) { return password.NewHasher(p, 4) }
