package server

import (
	"net/http"
	"runtime/debug"

	"github.com/astralcore/astral/internal/errs"
)

// recoverPanic turns a panicking handler into a 500 and logs the stack. The
// stack holds code locations and pointers, not request data. The client sees
// the generic error page or problem, never the panic value.
// http.ErrAbortHandler is re-panicked, as net/http expects.
func (s *Server) recoverPanic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.ErrorContext(r.Context(), "panic", "stack", string(debug.Stack()))
			s.fail(w, r, surfaceOf(r.URL.Path), errs.E(errs.Internal, ""))
		}()
		next.ServeHTTP(w, r)
	})
}
