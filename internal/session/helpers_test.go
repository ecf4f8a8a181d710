package session_test

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/session"
	"github.com/astralcore/astral/internal/store"
	"github.com/astralcore/astral/internal/store/storetest"
)

// clock is a fake clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2031, 1, 2, 9, 0, 0, 0, time.UTC)} }

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

// fixture is a Manager over a fresh SQLite store, on a fake clock.
type fixture struct {
	db  *store.DB
	clk *clock
	m   *session.Manager
	org identity.Organization
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{db: storetest.NewSQLite(t), clk: newClock()}
	f.m = session.New(f.db, nil, session.Options{Now: f.clk.Now})
	f.org = storetest.MustOrganization(t, f.db)
	return f
}

func (f *fixture) user(t testing.TB, role identity.Role) identity.User {
	t.Helper()
	return storetest.MustUser(t, f.db, f.org.ID, role)
}

// login creates a session for u the way a password login does.
func (f *fixture) login(t testing.TB, u identity.User, remember bool) (string, session.Session) {
	t.Helper()
	tok, s, err := f.m.Create(context.Background(), session.NewSession{
		OrgID: u.OrgID, UserID: u.ID, Role: u.Role, Remember: remember,
		IP:        netip.MustParseAddr("198.51.100.23"),
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return tok, s
}

// wantUnauthenticated fails unless err is the one validation failure.
func wantUnauthenticated(t testing.TB, what string, err error) {
	t.Helper()
	if !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("%s: err = %v, want Unauthenticated", what, err)
	}
}
