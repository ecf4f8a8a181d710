package server

import (
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/astralcore/astral/internal/reqctx"
)

// requestInfo stores the request's id, CSP nonce, client address and start
// time in its context, and returns the id in X-Request-Id so a user can
// quote it to support. Incoming request ids are ignored: they could be used
// to forge log correlation.
func (s *Server) requestInfo(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [28]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥1.24).
		info := &reqctx.Info{
			ID:        base64.RawURLEncoding.EncodeToString(b[:12]),
			Nonce:     base64.RawURLEncoding.EncodeToString(b[12:]),
			ClientIP:  s.clientIP(r),
			UserAgent: r.UserAgent(),
			Start:     s.opts.Now(),
		}
		w.Header().Set("X-Request-Id", info.ID)
		next.ServeHTTP(w, r.WithContext(reqctx.With(r.Context(), info)))
	})
}

// clientIP returns the peer address, or, when the peer is a trusted proxy,
// the right-most address in X-Forwarded-For that is not itself a trusted
// proxy (the left-most entries are client-controlled).
func (s *Server) clientIP(r *http.Request) netip.Addr {
	peer := parseHostAddr(r.RemoteAddr)
	if !s.trusted(peer) {
		return peer
	}
	xff := r.Header.Values("X-Forwarded-For")
	for i := len(xff) - 1; i >= 0; i-- {
		parts := strings.Split(xff[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return peer
			}
			a = a.Unmap()
			if !s.trusted(a) {
				return a
			}
		}
	}
	return peer
}

func (s *Server) trusted(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func parseHostAddr(hostport string) netip.Addr {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}
