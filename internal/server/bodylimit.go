package server

import (
	"net/http"

	"github.com/astralcore/astral/internal/api"
	"github.com/astralcore/astral/internal/errs"
)

// limitBody caps request bodies at MaxBodyBytes. A declared Content-Length
// over the limit is refused with 413 before any byte of the body is read;
// an undeclared (chunked) body is cut off by http.MaxBytesReader, which
// decoders report as TooLarge.
func (s *Server) limitBody(next http.Handler) http.Handler {
	limit := s.opts.MaxBodyBytes
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			// Tell the server not to drain an enormous body to reuse the
			// connection.
			w.Header().Set("Connection", "close")
			s.fail(w, r, surfaceOf(r.URL.Path), errs.E(errs.TooLarge, "error.too_large", api.FormatBytes(limit)))
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}
