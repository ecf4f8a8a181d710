// Package reqctx carries request-scoped facts through a context: the request
// id, the CSP nonce, the matched route pattern and the client address.
//
// One *Info is stored per request by the outermost middleware, so adding a
// fact costs no extra context allocation. Later the authenticated actor and
// practice join it. Nothing here may hold PHI.
package reqctx

import (
	"context"
	"net/netip"
	"time"
)

// Info is what the server knows about one request.
type Info struct {
	// ID identifies the request in logs, audit entries and error pages.
	ID string
	// Nonce is the per-request CSP nonce for first-party script tags.
	Nonce string
	// Pattern is the route pattern that matched, such as "GET /health",
	// set once routing is done; empty when no route matched.
	Pattern string
	// ClientIP is the client's address, taken from X-Forwarded-For only
	// when the peer is a trusted proxy.
	ClientIP netip.Addr
	// UserAgent is the client's User-Agent header, for audit entries.
	UserAgent string
	// Start is when the server began handling the request.
	Start time.Time

	// The signed-in person, set by the session middleware; empty for an
	// anonymous request. Role is an identity.Role (kept as a string so this
	// package stays a leaf).
	UserID    string
	OrgID     string
	Role      string
	SessionID string
	// MFA reports whether the session passed a second factor (AAL2).
	MFA bool
	// AuthTime is when the person last fully authenticated, for step-up.
	AuthTime time.Time
	// SessionExpires is when the session ends without further activity,
	// for the page's "you will be signed out soon" warning.
	SessionExpires time.Time
	// Scopes is set when the request came with a personal API token
	// instead of a session: what the token allows.
	Scopes []string
	// Token reports that the request authenticated with an API token.
	Token bool
}

// SignedIn reports whether a person is signed in.
func (i *Info) SignedIn() bool { return i.UserID != "" }

type key struct{}

// With returns a context carrying info.
func With(ctx context.Context, info *Info) context.Context {
	return context.WithValue(ctx, key{}, info)
}

// From returns the request's Info. It never returns nil: outside a request it
// returns an empty Info, so callers need no nil checks.
func From(ctx context.Context) *Info {
	if info, ok := ctx.Value(key{}).(*Info); ok {
		return info
	}
	return &Info{}
}
