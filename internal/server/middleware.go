package server

import "net/http"

// middleware wraps h in every middleware, outermost first:
//
//	requestInfo → accessLog → recoverPanic → securityHeaders →
//	crossOrigin → authenticate → limitBody → h
//
// Each concern lives in its own file. The access log sits outside panic
// recovery so a recovered panic is logged with its 500.
func (s *Server) middleware(h http.Handler) http.Handler {
	h = s.limitBody(h)
	h = s.authenticate(h)
	h = s.cop.Handler(h)
	h = s.securityHeaders(h)
	h = s.recoverPanic(h)
	h = s.accessLog(h)
	h = s.requestInfo(h)
	return h
}
