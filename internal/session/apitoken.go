package session

import (
	"context"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
)

// TokenPrefix starts every personal API token, so that secret scanners (and
// people) recognise a leaked one.
const TokenPrefix = "astral_pat_"

// MaxTokenName is the longest token name, in characters.
const MaxTokenName = 100

// Scope is a permission an API token carries, such as "profile:read". A
// request with the token may do only what both the scope and the person's
// own access allow.
type Scope string

// The scopes API tokens can carry.
const (
	ScopeProfileRead  Scope = "profile:read"
	ScopeProfileWrite Scope = "profile:write"
	ScopeAuditRead    Scope = "audit:read"
)

// Scopes returns every scope, in a stable order.
func Scopes() []Scope { return []Scope{ScopeProfileRead, ScopeProfileWrite, ScopeAuditRead} }

// APIToken is a personal access token for /api/v1, sent as
// "Authorization: Bearer astral_pat_...". Its secret is shown once, at
// creation; only its hash is kept.
type APIToken struct {
	ID     string // UUIDv7
	OrgID  string
	UserID string
	// Role is the user's role when the token was read, and Active whether
	// the user is active: a role change applies to tokens at once, and a
	// deactivated person's tokens stop working.
	Role       identity.Role
	Active     bool
	Name       string // chosen by the person, to tell tokens apart
	Scopes     []Scope
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time // nil until first used; written at most once per TouchInterval
	RevokedAt  *time.Time
}

// Allows reports whether t carries scope s.
func (t APIToken) Allows(s Scope) bool { return slices.Contains(t.Scopes, s) }

// CreateToken creates an API token for user userID of practice orgID and
// returns its secret, which the caller shows once and never stores or logs.
//
// A missing or too long name, no scopes or a scope outside Options.Scopes,
// or an expiry not in the future or beyond Options.MaxTokenLifetime is
// errs.Invalid with field problems on "name", "scopes" and "expires_at"; an
// unknown user is errs.Invalid from the store.
func (m *Manager) CreateToken(ctx context.Context, orgID, userID, name string, scopes []string, expiresAt time.Time) (_ string, _ APIToken, err error) {
	defer errs.Op(&err, "session.CreateToken")
	now := m.clock()
	expiresAt = expiresAt.UTC().Truncate(time.Microsecond)
	var fe []errs.FieldError
	if orgID == "" || userID == "" {
		fe = append(fe, errs.FieldError{Field: "user_id", Message: "field.required"})
	}
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		fe = append(fe, errs.FieldError{Field: "name", Message: "field.required"})
	case !utf8.ValidString(name):
		fe = append(fe, errs.FieldError{Field: "name", Message: "field.invalid_format"})
	case n > MaxTokenName:
		fe = append(fe, errs.FieldError{Field: "name", Message: "field.too_long", Args: []any{MaxTokenName}})
	}
	var sc []Scope
	for _, s := range scopes {
		if !slices.Contains(m.opts.Scopes, Scope(s)) {
			fe = append(fe, errs.FieldError{Field: "scopes", Message: "field.invalid_choice"})
			break
		}
		if !slices.Contains(sc, Scope(s)) {
			sc = append(sc, Scope(s))
		}
	}
	if len(scopes) == 0 {
		fe = append(fe, errs.FieldError{Field: "scopes", Message: "field.required"})
	}
	if !expiresAt.After(now) || expiresAt.After(now.Add(m.opts.MaxTokenLifetime)) {
		days := int(m.opts.MaxTokenLifetime / (24 * time.Hour))
		fe = append(fe, errs.FieldError{Field: "expires_at", Message: "field.expiry_out_of_range", Args: []any{days}})
	}
	if len(fe) > 0 {
		return "", APIToken{}, errs.InvalidFields(fe...)
	}
	slices.Sort(sc)
	id, err := uuid.NewV7()
	if err != nil {
		return "", APIToken{}, errs.Wrap(err, errs.Internal, "session.CreateToken: id")
	}
	t := APIToken{ID: id.String(), OrgID: orgID, UserID: userID, Name: name, Scopes: sc,
		CreatedAt: now, ExpiresAt: expiresAt}
	secret, h := newToken(TokenPrefix)
	if err := m.store.CreateAPIToken(ctx, t, h); err != nil {
		return "", APIToken{}, err
	}
	return secret, t, nil
}

// ValidateToken returns the API token a Bearer secret names, if it is not
// revoked, not expired and its user is active; Role is the user's current
// role. It records use (LastUsedAt) at most once per TouchInterval.
//
// A malformed, unknown, expired or revoked token, or one of a deactivated
// user, is errs.Unauthenticated, always the same error. A failing store is
// errs.Internal.
func (m *Manager) ValidateToken(ctx context.Context, secret string) (APIToken, error) {
	const op = "session.ValidateToken"
	h, wellFormed := presentedHash(secret, TokenPrefix)
	now := m.clock()
	t, err := m.store.APITokenByHash(ctx, h)
	if errs.Is(err, errs.NotFound) {
		return APIToken{}, unauthenticated(op)
	}
	if err != nil {
		return APIToken{}, errs.Wrap(err, errs.Internal, op)
	}
	if !wellFormed || t.RevokedAt != nil || !now.Before(t.ExpiresAt) || !t.Active {
		return APIToken{}, unauthenticated(op)
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= m.opts.TouchInterval {
		if err := m.store.TouchAPIToken(ctx, t.ID, now, now.Add(-m.opts.TouchInterval)); err != nil {
			m.log.WarnContext(ctx, "session: recording token use failed", "token_id", t.ID, "err", err)
		} else {
			t.LastUsedAt = &now
		}
	}
	return t, nil
}

// ListTokens returns the user's unrevoked API tokens, newest first, expired
// ones included so the person can see and remove them. A person without
// tokens has an empty list.
func (m *Manager) ListTokens(ctx context.Context, orgID, userID string) (_ []APIToken, err error) {
	defer errs.Op(&err, "session.ListTokens")
	return m.store.APITokens(ctx, orgID, userID)
}

// RevokeToken revokes API token id of user userID in practice orgID; the
// next request with it is errs.Unauthenticated. Revoking a revoked token is
// not an error; an unknown token, or one of another person or practice, is
// errs.NotFound.
func (m *Manager) RevokeToken(ctx context.Context, orgID, userID, id string) (err error) {
	defer errs.Op(&err, "session.RevokeToken")
	return m.store.RevokeAPIToken(ctx, orgID, userID, id, m.clock())
}
