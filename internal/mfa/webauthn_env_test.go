package mfa_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/mfa"
	"github.com/astralcore/astral/internal/phi"
	"github.com/astralcore/astral/internal/store"
	"github.com/astralcore/astral/internal/store/storetest"
)

const (
	waRPID   = "astral.example"
	waOrigin = "https://astral.example"
	// waCanary is the users' display name; it must never reach a log.
	waCanary = "Canary Person"
)

// waClock is a fake clock the tests move by hand.
type waClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *waClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *waClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// waLogs collects log output.
type waLogs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *waLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *waLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// waEnv is a WebAuthn relying party on a real SQLite store, with two users
// of one practice and a software authenticator for the first.
type waEnv struct {
	wa    *mfa.WebAuthn
	db    *store.DB
	clock *waClock
	logs  *waLogs
	user  mfa.WebAuthnUser
	other mfa.WebAuthnUser
	key   *waAuthenticator
}

func newWAEnv(t *testing.T) *waEnv {
	t.Helper()
	db := storetest.NewSQLite(t)
	org := storetest.MustOrganization(t, db)
	clock := &waClock{now: time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)}
	logs := &waLogs{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	wa, err := mfa.NewWebAuthn(mfa.WebAuthnConfig{RPID: waRPID, RPName: "Astral Core", Origins: []string{waOrigin}}, db, clock.Now, log)
	if err != nil {
		t.Fatalf("NewWebAuthn: %v", err)
	}
	newUser := func() mfa.WebAuthnUser {
		u := storetest.MustUser(t, db, org.ID, identity.RoleTherapist)
		return mfa.WebAuthnUser{ID: u.ID, OrgID: org.ID, Name: phi.NewText(waCanary)}
	}
	e := &waEnv{wa: wa, db: db, clock: clock, logs: logs, user: newUser(), other: newUser(),
		key: newWAAuthenticator(t, waOrigin, waRPID)}
	t.Cleanup(func() {
		if strings.Contains(logs.String(), waCanary) {
			t.Error("a log line holds the user's name")
		}
	})
	return e
}

// mustRegister registers a (the env's key if nil) for user in session.
func (e *waEnv) mustRegister(t *testing.T, session string, user mfa.WebAuthnUser, a *waAuthenticator) mfa.WebAuthnCredential {
	t.Helper()
	ctx := context.Background()
	opts, err := e.wa.BeginRegistration(ctx, session, user)
	if err != nil {
		t.Fatalf("BeginRegistration: %v", err)
	}
	c, err := e.wa.FinishRegistration(ctx, session, user, a.create(t, opts), "My key")
	if err != nil {
		t.Fatalf("FinishRegistration: %v", err)
	}
	return c
}

// mustBeginLogin begins a second-factor login for the env's user.
func (e *waEnv) mustBeginLogin(t *testing.T, session string) []byte {
	t.Helper()
	opts, err := e.wa.BeginLogin(context.Background(), session, e.user)
	if err != nil {
		t.Fatalf("BeginLogin: %v", err)
	}
	return opts
}

// mustBeginDiscoverable begins a passwordless login.
func (e *waEnv) mustBeginDiscoverable(t *testing.T, session string) []byte {
	t.Helper()
	opts, err := e.wa.BeginDiscoverableLogin(context.Background(), session)
	if err != nil {
		t.Fatalf("BeginDiscoverableLogin: %v", err)
	}
	return opts
}

// wantWAError fails the test unless err has kind and the safe message msg.
func wantWAError(t *testing.T, err error, kind errs.Kind, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %v %q", kind, msg)
	}
	if gotKind, gotMsg, _, _ := errs.Public(err); gotKind != kind || gotMsg != msg {
		t.Fatalf("err = %v (%v %q), want %v %q", err, gotKind, gotMsg, kind, msg)
	}
}
