package session

import (
	"context"
	"log/slog"
	"net/netip"
	"time"

	"github.com/google/uuid"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
)

// Defaults for Options, chosen in SECURITY.md: staff and clinicians 15
// minutes idle (HIPAA automatic logoff, NIST AAL3), patients 30 (NIST AAL2),
// 12 hours absolute (NIST), and a patient's "remember me" up to 30 days.
const (
	DefaultIdleStaff     = 15 * time.Minute
	DefaultIdlePatient   = 30 * time.Minute
	DefaultAbsolute      = 12 * time.Hour
	DefaultRemember      = 30 * 24 * time.Hour
	DefaultTouchInterval = time.Minute
	DefaultTokenLifetime = 366 * 24 * time.Hour
)

// Options tune a Manager. The zero value gives the defaults above.
type Options struct {
	IdleStaff   time.Duration // idle timeout of every role but patient
	IdlePatient time.Duration // idle timeout of patients
	Absolute    time.Duration // absolute lifetime of a session
	// Remember is the lifetime of a patient's remembered session. It counts
	// as both its idle and its absolute limit.
	Remember time.Duration
	// TouchInterval is how often, at most, activity is written to the
	// store per session (and per API token). Idle deadlines may therefore
	// come up to this much early.
	TouchInterval time.Duration
	// MaxTokenLifetime bounds an API token's expiry.
	MaxTokenLifetime time.Duration
	// Scopes are the scopes API tokens may carry; nil means Scopes().
	Scopes []Scope
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives failures that do not fail a request (a lost touch);
	// nil discards. Nothing logged holds a token.
	Logger *slog.Logger
}

// Manager creates, validates, rotates and revokes sessions and API tokens.
// It is safe for concurrent use.
type Manager struct {
	store Store
	cache Cache
	opts  Options
	now   func() time.Time
	log   *slog.Logger
}

// New returns a Manager over store. cache may be nil, for a LocalCache with
// default options on the Manager's clock.
func New(store Store, cache Cache, opts Options) *Manager {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.IdleStaff, DefaultIdleStaff)
	def(&opts.IdlePatient, DefaultIdlePatient)
	def(&opts.Absolute, DefaultAbsolute)
	def(&opts.Remember, DefaultRemember)
	def(&opts.TouchInterval, DefaultTouchInterval)
	def(&opts.MaxTokenLifetime, DefaultTokenLifetime)
	if opts.Scopes == nil {
		opts.Scopes = Scopes()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if cache == nil {
		cache = NewLocalCache(LocalCacheOptions{Now: opts.Now})
	}
	return &Manager{store: store, cache: cache, opts: opts, now: opts.Now, log: opts.Logger}
}

// clock returns now as the store keeps it: UTC, microseconds.
func (m *Manager) clock() time.Time { return m.now().UTC().Truncate(time.Microsecond) }

// NewSession describes a session to start after a successful login.
type NewSession struct {
	OrgID  string
	UserID string
	Role   identity.Role
	// MFA says the login itself verified a second factor (a passkey with
	// user verification). A password login starts at AAL1; Rotate records
	// the second factor later.
	MFA bool
	// Remember asks for a patient's long-lived session. Other roles cannot
	// have one.
	Remember  bool
	IP        netip.Addr
	UserAgent string
}

// Create starts a session for a person who has just authenticated, and
// returns its token, which only the cookie keeps. Missing ids, an invalid
// role or Remember for a role other than patient are errs.Invalid; an
// unknown user is errs.Invalid from the store.
func (m *Manager) Create(ctx context.Context, n NewSession) (_ string, _ Session, err error) {
	defer errs.Op(&err, "session.Create")
	var fe []errs.FieldError
	if n.OrgID == "" {
		fe = append(fe, errs.FieldError{Field: "org_id", Message: "field.required"})
	}
	if n.UserID == "" {
		fe = append(fe, errs.FieldError{Field: "user_id", Message: "field.required"})
	}
	if !n.Role.Valid() {
		fe = append(fe, errs.FieldError{Field: "role", Message: "field.invalid_choice"})
	} else if n.Remember && n.Role != identity.RolePatient {
		fe = append(fe, errs.FieldError{Field: "remember", Message: "field.invalid_role"})
	}
	if len(fe) > 0 {
		return "", Session{}, errs.InvalidFields(fe...)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return "", Session{}, errs.Wrap(err, errs.Internal, "session.Create: id")
	}
	now := m.clock()
	s := Session{
		ID: id.String(), OrgID: n.OrgID, UserID: n.UserID, Role: n.Role,
		CreatedAt: now, LastSeenAt: now, AuthTime: now,
		IdleTimeout: m.opts.IdleStaff, AbsoluteExpiry: now.Add(m.opts.Absolute),
		Remembered: n.Remember, Device: ParseDevice(n.UserAgent), Place: PlaceOf(n.IP),
	}
	if n.Role == identity.RolePatient {
		s.IdleTimeout = m.opts.IdlePatient
	}
	if n.Remember {
		s.IdleTimeout, s.AbsoluteExpiry = m.opts.Remember, now.Add(m.opts.Remember)
	}
	if n.MFA {
		s.MFAAt = now
	}
	tok, h := newToken("")
	if err := m.store.CreateSession(ctx, s, h); err != nil {
		return "", Session{}, err
	}
	m.cache.Put(ctx, h, s, m.cache.Generation())
	return tok, s, nil
}

// ExpiresAt returns when s ends unless there is more activity: the earlier
// of its idle and its absolute deadline. Pages use it to warn "you will be
// signed out in 2 minutes".
func (m *Manager) ExpiresAt(s Session) time.Time { return s.expiry() }

// unauthenticated is the one error every failed validation returns. It is
// built afresh each time so that callers cannot change a shared value.
func unauthenticated(op string) error {
	return &errs.Error{Kind: errs.Unauthenticated, Op: op}
}
