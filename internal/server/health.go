package server

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// Check is one readiness check, such as the database or Redis. Fn must honour
// ctx; the server gives each check Options.CheckTimeout.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// defaultCheckTimeout bounds each readiness check unless Options say otherwise.
const defaultCheckTimeout = 2 * time.Second

// health serves GET /health: a liveness summary for people.
func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	return writeHealth(w, http.StatusOK, map[string]any{
		"status":         "ok",
		"version":        s.opts.Version,
		"uptime_seconds": int64(s.opts.Now().Sub(s.started).Seconds()),
	})
}

// live serves GET /health/live: the process is up and serving.
func (s *Server) live(w http.ResponseWriter, r *http.Request) error {
	return writeHealth(w, http.StatusOK, map[string]any{"status": "ok"})
}

// ready serves GET /health/ready: every dependency answers. It runs the
// checks concurrently, each bounded in time, and names every failing one
// (503). Causes go to the log only: a load balancer needs the name, an
// attacker should get nothing more.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	results := s.RunChecks(r.Context())
	status, code := "ready", http.StatusOK
	for _, v := range results {
		if v != "ok" {
			status, code = "unavailable", http.StatusServiceUnavailable
		}
	}
	return writeHealth(w, code, map[string]any{"status": status, "checks": results})
}

// RunChecks runs every check and returns name → "ok" or "unavailable".
func (s *Server) RunChecks(ctx context.Context) map[string]string {
	results := make(map[string]string, len(s.opts.Checks))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range s.opts.Checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, s.opts.CheckTimeout)
			defer cancel()
			err := c.Fn(cctx)
			v := "ok"
			if err != nil {
				v = "unavailable"
				s.log.WarnContext(ctx, "readiness check failed", "check", c.Name, "err", err.Error())
			}
			mu.Lock()
			results[c.Name] = v
			mu.Unlock()
		}()
	}
	wg.Wait()
	return results
}

func writeHealth(w http.ResponseWriter, code int, body map[string]any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
	return nil
}
