package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/astralcore/astral/internal/api"
	"github.com/astralcore/astral/internal/i18n"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/policy"
	"github.com/astralcore/astral/internal/server"
	"github.com/astralcore/astral/internal/web"
)

// serveCmd implements `astral serve`: migrate, then serve the public
// listener and the loopback admin listener (metrics) until ctx ends, then
// shut down gracefully.
func serveCmd(ctx context.Context, env *environment, args []string) error {
	a, err := startApp(ctx, env, "serve", args)
	if err != nil {
		return err
	}
	defer a.Close()
	cfg, log := a.cfg, a.log
	if _, err := a.migrate(ctx); err != nil {
		return err
	}

	handler, metrics, ppl, err := a.buildServer(ctx)
	if err != nil {
		return err
	}
	timeouts := server.DefaultTimeouts
	timeouts.Shutdown = cfg.ShutdownTimeout

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (ASTRAL_ADDR): %w", cfg.Addr, err)
	}
	var adminLn net.Listener
	if cfg.AdminAddr != "" {
		adminLn, err = net.Listen("tcp", cfg.AdminAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen on %s (ASTRAL_ADMIN_ADDR): %w", cfg.AdminAddr, err)
		}
	}

	fmt.Fprintf(env.stdout, "Astral Core %s listening on http://%s (%s, %s database)\n", buildVersion(), ln.Addr(), cfg.Env, cfg.Driver())
	log.InfoContext(ctx, "listening", "addr", ln.Addr().String(), "env", string(cfg.Env), "db", cfg.Driver())
	if adminLn != nil {
		fmt.Fprintf(env.stdout, "Admin listener (metrics) on http://%s/metrics\n", adminLn.Addr())
	}
	if err := a.announceSetup(ctx, ppl.accounts, env.stdout); err != nil {
		ln.Close()
		if adminLn != nil {
			adminLn.Close()
		}
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	go func() {
		errc <- server.Serve(ctx, ln, handler, timeouts, log)
		cancel()
	}()
	n := 1
	if adminLn != nil {
		n++
		admin := http.NewServeMux()
		admin.Handle("GET /metrics", metrics.Handler())
		go func() {
			errc <- server.Serve(ctx, adminLn, admin, timeouts, log)
			cancel()
		}()
	}
	var errs []error
	for range n {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	log.Info("stopped")
	return errors.Join(errs...)
}

// buildServer wires the HTTP surface from the app's dependencies.
func (a *app) buildServer(ctx context.Context) (*server.Server, *server.Metrics, *people, error) {
	cat, err := i18n.Load()
	if err != nil {
		return nil, nil, nil, err
	}
	ppl, err := a.newPeople(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	secure := a.cfg.PublicURL.Scheme == "https"
	auditLog := identity.NewAuditLog(a.audit, policy.New(a.db), a.audit)
	w, err := web.New(web.Options{
		Catalog:       cat,
		Logger:        a.log,
		Version:       buildVersion(),
		SecureCookies: secure,
		Orgs:          a.db,
		Accounts:      ppl.accounts,
		Sessions:      ppl.sessions,
		Throttle:      ppl.throttle,
		Limiter:       ppl.limiter,
		MFA:           ppl.mfa,
		Audit:         a.audit,
		AuditLog:      auditLog,
		Profiles:      ppl.profiles,
		PublicURL:     a.cfg.PublicURL.String(),
	})
	if err != nil {
		return nil, nil, nil, err
	}
	metrics := server.NewMetrics(nil)
	metrics.RegisterDBStats("main", a.db.Stats)
	checks := []server.Check{
		{Name: "database", Fn: a.db.Ping},
		{Name: "key_store", Fn: a.keys.Ping},
		{Name: "key_provider_" + a.provider.Name(), Fn: a.provider.Ping},
	}
	if a.redis != nil {
		checks = append(checks, server.Check{Name: "redis", Fn: func(ctx context.Context) error {
			return a.redis.Ping(ctx).Err()
		}})
	}
	srv, err := server.New(server.Options{
		Logger:         a.log,
		Web:            w,
		API:            api.New(api.Options{Catalog: cat, Logger: a.log, Version: buildVersion(), AuditLog: auditLog}),
		Metrics:        metrics,
		Checks:         checks,
		Version:        buildVersion(),
		MaxBodyBytes:   a.cfg.MaxBodyBytes,
		HSTS:           a.cfg.PublicURL.Scheme == "https",
		TrustedProxies: a.cfg.TrustedProxies,
		Now:            time.Now,
		Sessions:       ppl.sessions,
		SecureCookies:  secure,
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return srv, metrics, ppl, nil
}
