package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/astralcore/astral/internal/audit"
	"github.com/astralcore/astral/internal/config"
	"github.com/astralcore/astral/internal/logging"
	"github.com/astralcore/astral/internal/phi"
	"github.com/astralcore/astral/internal/store"
)

// app holds the long-lived dependencies that cmd/astral builds and wires:
// everything the subcommands share, closed in one place.
type app struct {
	cfg   *config.Config
	log   *slog.Logger
	db    *store.DB
	redis *redis.Client // nil unless ASTRAL_REDIS_URL is set

	// PHI protection: the key-encryption-key provider, the separate
	// database of wrapped data keys, and the keyring that uses both.
	provider phi.KeyProvider
	keys     *store.KeyDB
	keyring  *phi.Keyring

	// audit is the tamper-evident audit log's recorder (group commit, fail
	// closed). It is closed before the database.
	audit *audit.Recorder
}

// newLogger returns the JSON logger every subcommand uses, behind the
// handler that masks PHI-shaped values.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	return logging.New(w, cfg.LogLevel)
}

// startApp is how a subcommand begins: parse its flags, load and validate
// the configuration, build the logger and open the app's dependencies.
func startApp(ctx context.Context, env *environment, name string, args []string) (*app, error) {
	cfg, err := loadConfig(env, name, args)
	if err != nil {
		return nil, err
	}
	return openApp(ctx, cfg, newLogger(cfg, env.stderr))
}

// openApp opens the database (creating the data directory for SQLite with
// owner-only permissions) and, when configured, Redis.
func openApp(ctx context.Context, cfg *config.Config, log *slog.Logger) (*app, error) {
	a := &app{cfg: cfg, log: log}
	dsn := cfg.DatabaseURL.Reveal()
	if cfg.Driver() == "sqlite" {
		dsn = cfg.SQLitePath()
		if err := createOwnerOnly(dsn); err != nil {
			return nil, err
		}
	}
	db, err := store.Open(ctx, cfg.Driver(), dsn, store.Options{Logger: log, Now: time.Now})
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", cfg.Driver(), err)
	}
	a.db = db
	if a.audit, err = newAuditRecorder(a); err != nil {
		_ = a.Close()
		return nil, fmt.Errorf("audit log: %w", err)
	}
	if err := a.openKeys(ctx); err != nil {
		_ = a.Close()
		return nil, err
	}
	if cfg.RedisURL != "" {
		opts, err := redis.ParseURL(cfg.RedisURL.Reveal())
		if err != nil {
			_ = a.Close()
			// The URL was validated by config; say nothing of its contents.
			return nil, errors.New("ASTRAL_REDIS_URL cannot be used")
		}
		a.redis = redis.NewClient(opts)
	}
	return a, nil
}

// openKeys opens the key provider, the key store and the keyring.
func (a *app) openKeys(ctx context.Context) error {
	p, err := newKeyProvider(a.cfg, a.log)
	if err != nil {
		return fmt.Errorf("key provider (ASTRAL_KMS=%s): %w", a.cfg.KMS, err)
	}
	if err := checkKeyProvider(ctx, p, a.log); err != nil {
		return err
	}
	a.provider = p
	a.keys, err = openKeyStore(ctx, a.cfg, a.log)
	if err != nil {
		return err
	}
	a.keyring = phi.NewKeyring(p, a.keys, phi.KeyringOptions{Logger: a.log, Now: time.Now, ProviderCheckInterval: a.cfg.KeysCheckEvery})
	return nil
}

// migrate applies pending migrations; the store logs each one.
func (a *app) migrate(ctx context.Context) ([]string, error) {
	applied, err := a.db.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return applied, nil
}

// Close releases everything app opened.
func (a *app) Close() error {
	var errs []error
	if a.audit != nil {
		errs = append(errs, a.audit.Close())
	}
	if a.redis != nil {
		errs = append(errs, a.redis.Close())
	}
	if a.keys != nil {
		errs = append(errs, a.keys.Close())
	}
	if a.db != nil {
		errs = append(errs, a.db.Close())
	}
	return errors.Join(errs...)
}
