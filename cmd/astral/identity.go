package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/mfa"
	"github.com/astralcore/astral/internal/notify"
	"github.com/astralcore/astral/internal/password"
	"github.com/astralcore/astral/internal/policy"
	"github.com/astralcore/astral/internal/ratelimit"
	"github.com/astralcore/astral/internal/session"
)

// people holds the identity services the web surface needs.
type people struct {
	profiles *identity.ProfileService
	accounts *identity.Accounts
	sessions *session.Manager
	throttle identity.LoginThrottle
	limiter  ratelimit.Limiter
	mfa      *mfa.Service
}

// newPeople wires identity: profiles (encrypted, audited, access-checked),
// accounts (setup and sign-in), sessions, and the throttles. With Redis the
// session cache, rate limits and login backoff are shared by every instance;
// without it they live in this process.
func (a *app) newPeople(ctx context.Context) (*people, error) {
	hasher, err := password.NewHasher(password.DefaultParams, password.DefaultMaxConcurrent)
	if err != nil {
		return nil, err
	}
	check := func(pw string, role identity.Role, personal ...string) error {
		return password.Check(pw, password.PolicyFor(role), personal...)
	}
	p := &people{}
	p.profiles = identity.NewProfileService(a.db, a.db, a.keyring, policy.New(a.db), a.audit, time.Now, a.log)
	mail, err := a.newMailer()
	if err != nil {
		return nil, err
	}
	p.accounts = identity.NewAccounts(a.db, a.db, p.profiles, hasher, check, a.audit, mail, time.Now, a.log)
	p.mfa = mfa.NewService(a.db, a.keyring, a.keyring, mfa.Options{Now: time.Now, Issuer: "Astral Core"})

	opts := session.Options{
		IdleStaff: a.cfg.Session.IdleStaff, IdlePatient: a.cfg.Session.IdlePatient,
		Absolute: a.cfg.Session.Absolute, Remember: a.cfg.Session.Remember,
		// Activity is written at most this often; a tenth of the shortest
		// idle timeout (at most a minute) keeps sessions from ending early.
		TouchInterval: min(time.Minute, min(a.cfg.Session.IdleStaff, a.cfg.Session.IdlePatient)/10),
		Now:           time.Now, Logger: a.log,
	}
	if a.redis != nil {
		// Without waiting: a Redis that is down at start-up makes the
		// server start not ready (sign-ins fail closed) rather than not at all.
		cache, err := session.NewRedisCache(ctx, a.redis, session.RedisCacheOptions{NoWait: true, Logger: a.log})
		if err != nil {
			return nil, fmt.Errorf("session cache on Redis: %w", err)
		}
		p.sessions = session.New(a.db, cache, opts)
		p.throttle = ratelimit.NewRedisBackoff(a.redis, "astral:login")
		p.limiter = ratelimit.NewRedis(a.redis, "astral:rl")
	} else {
		p.sessions = session.New(a.db, session.NewLocalCache(session.LocalCacheOptions{}), opts)
		p.throttle = ratelimit.NewMemoryBackoff()
		p.limiter = ratelimit.NewMemory()
	}
	return p, nil
}

// announceSetup prints the one-time setup link when no practice exists yet,
// and writes it to DATA_DIR/setup-url (owner-only) for those who missed the
// console. No default account exists at any time.
func (a *app) announceSetup(ctx context.Context, accounts *identity.Accounts, out io.Writer) error {
	token, err := accounts.PrepareSetup(ctx)
	if err != nil || token == "" {
		return err
	}
	link := a.cfg.PublicURL.String() + "/setup/" + token
	fmt.Fprintf(out, "\nNo practice is set up yet. Open this one-time link within 24 hours to create it\nand its first administrator:\n\n    %s\n\n", link)
	path := filepath.Join(a.cfg.DataDir, "setup-url")
	if err := os.WriteFile(path, []byte(link+"\n"), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	a.log.InfoContext(ctx, "setup link written", "file", path)
	return nil
}

// newMailer returns the email sender: SMTP when ASTRAL_SMTP_HOST is set,
// else the development outbox under the data directory.
func (a *app) newMailer() (identity.Mailer, error) {
	if a.cfg.SMTPHost == "" {
		return notify.NewOutbox(a.cfg.OutboxDir(), time.Now)
	}
	return notify.NewSMTP(notify.SMTPConfig{
		Host: a.cfg.SMTPHost, Port: a.cfg.SMTPPort, TLS: notify.TLSMode(a.cfg.SMTPTLS),
		Username: a.cfg.SMTPUsername, Password: a.cfg.SMTPPassword.Reveal(), From: a.cfg.SMTPFrom,
		CAFile: a.cfg.SMTPCACert, Now: time.Now, Logger: a.log,
	})
}
