package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/astralcore/astral/internal/config"
	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/i18n"
	"github.com/astralcore/astral/internal/phi"
	"github.com/astralcore/astral/internal/phi/localkey"
	"github.com/astralcore/astral/internal/phi/vault"
	"github.com/astralcore/astral/internal/store"
)

// newKeyProvider builds the configured key-encryption-key provider. In
// development without a configured key it creates (once) and reuses a key
// file under the data directory, with a loud warning; the configuration
// already refuses production without a key.
func newKeyProvider(cfg *config.Config, log *slog.Logger) (phi.KeyProvider, error) {
	switch cfg.KMS {
	case "vault":
		vc := vault.Config{
			Address: cfg.VaultAddr,
			Token:   cfg.VaultToken,
			Mount:   cfg.VaultMount,
			Key:     cfg.VaultKey,
		}
		if cfg.VaultCACert != "" {
			pool, err := config.LoadCAPool(cfg.VaultCACert)
			if err != nil {
				return nil, fmt.Errorf("ASTRAL_VAULT_CACERT %q %w", cfg.VaultCACert, err)
			}
			vc.CAPool = pool
		}
		return vault.New(vc)
	default:
		switch {
		case cfg.MasterKey != "":
			return localkey.FromEnv(cfg.MasterKey.Reveal())
		case cfg.MasterKeyFile != "":
			return localkey.Open(cfg.MasterKeyFile)
		case cfg.IsProduction():
			return nil, errors.New("production needs ASTRAL_MASTER_KEY or ASTRAL_MASTER_KEY_FILE")
		default:
			return localkey.OpenOrCreateDev(cfg.DataDir, log)
		}
	}
}

// checkKeyProvider runs at start-up. A Vault token without access, or a
// transit key unfit for the job, stops the server (SECURITY: a wrong Vault
// token makes the app refuse to start). A provider that is merely
// unreachable or sealed does not: the server starts, PHI requests answer
// 503, and /health/ready names the provider until it is back.
func checkKeyProvider(ctx context.Context, p phi.KeyProvider, log *slog.Logger) error {
	v, ok := p.(*vault.Provider)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := v.CheckAccess(ctx)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, vault.ErrPermission):
		return errors.New("vault: permission denied: Vault refused ASTRAL_VAULT_TOKEN: the token is wrong, expired or revoked, or its policy lacks the paths of the astral-app policy (see docs/keys.md)")
	case errors.Is(err, vault.ErrKeyNotFound), errors.Is(err, vault.ErrKeyUnsuitable):
		return fmt.Errorf("vault: transit key unusable: %w (see docs/keys.md)", err)
	default:
		log.WarnContext(ctx, "key provider unavailable at start-up; PHI requests will answer 503 until it is back", "provider", p.Name(), "err", err.Error())
		return nil
	}
}

// openKeyStore opens the database of wrapped data keys, which is kept apart
// from the data it protects (see docs/keys.md).
func openKeyStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*store.KeyDB, error) {
	driver, dsn, shared := cfg.KeysDatabase()
	if shared {
		log.WarnContext(ctx, "the key store shares the main PostgreSQL database; set ASTRAL_KEYS_DATABASE_URL so backups of the data do not contain its keys")
	}
	if driver == "sqlite" {
		if err := createOwnerOnly(dsn); err != nil {
			return nil, err
		}
	}
	kdb, err := store.OpenKeyStore(ctx, driver, dsn, store.Options{Logger: log, Now: time.Now})
	if err != nil {
		return nil, fmt.Errorf("open key store: %w", err)
	}
	if _, err := kdb.Migrate(ctx); err != nil {
		kdb.Close()
		return nil, fmt.Errorf("migrate key store: %w", err)
	}
	return kdb, nil
}

// createOwnerOnly creates a SQLite file (and its directory) readable by the
// owner only, before SQLite does; its -wal and -shm files copy the mode.
func createOwnerOnly(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	return f.Close()
}

// startKeys is startApp for the keys commands: it opens only the key
// provider, the key store and the keyring. It skips checkKeyProvider, whose
// Vault check makes and unwraps a data key: the operator token docs/keys.md
// prescribes may rotate, rewrap and retire but, by design, may not do that
// (it must not be able to read PHI). The commands need no main database.
func startKeys(ctx context.Context, env *environment, name string, args []string) (*app, error) {
	cfg, err := loadConfig(env, name, args)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: newLogger(cfg, env.stderr)}
	if a.provider, err = newKeyProvider(cfg, a.log); err != nil {
		return nil, fmt.Errorf("key provider (ASTRAL_KMS=%s): %w", cfg.KMS, err)
	}
	if a.keys, err = openKeyStore(ctx, cfg, a.log); err != nil {
		return nil, err
	}
	a.keyring = phi.NewKeyring(a.provider, a.keys, phi.KeyringOptions{Logger: a.log, Now: time.Now})
	return a, nil
}

// keysCmd implements `astral keys status|rotate|rewrap|retire VERSION`.
func keysCmd(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 {
		return usageError("keys: name a subcommand: status, rotate, rewrap or retire VERSION")
	}
	sub, rest := args[0], args[1:]
	var version int
	if sub == "retire" {
		if len(rest) == 0 {
			return usageError("keys retire: name the lowest KEK version to keep, e.g. 'astral keys retire 2'")
		}
		v, err := strconv.Atoi(rest[0])
		if err != nil || v < 1 {
			return usageError("keys retire: %q is not a key version", rest[0])
		}
		version, rest = v, rest[1:]
	}
	switch sub {
	case "status", "rotate", "rewrap", "retire":
	default:
		return usageError("keys: unknown subcommand %q (status, rotate, rewrap, retire)", sub)
	}
	a, err := startKeys(ctx, env, "keys "+sub, rest)
	if err != nil {
		return err
	}
	defer a.Close()
	out := env.stdout
	switch sub {
	case "rotate":
		v, err := a.provider.Rotate(ctx)
		if err != nil {
			return fmt.Errorf("rotate: %w", err)
		}
		fmt.Fprintf(out, "Rotated: new data keys are wrapped under KEK version %d.\n", v)
		fmt.Fprintln(out, "Run 'astral keys rewrap' to move existing data keys to it.")
		return nil
	case "rewrap":
		n, err := a.keyring.RewrapAll(ctx, func(done, total int) {
			fmt.Fprintf(out, "rewrapped %d of %d\n", done, total)
		})
		if err != nil {
			return fmt.Errorf("rewrap stopped after %d keys (run it again to finish): %w", n, err)
		}
		fmt.Fprintf(out, "Rewrapped %d data key(s); no data was re-encrypted.\n", n)
		return nil
	case "retire":
		// Retire counts every key below version as in use, so a version
		// above the latest would send the operator to a rewrap that
		// cannot help; the provider would refuse it anyway.
		st, err := a.provider.Status(ctx)
		if err != nil {
			return fmt.Errorf("key provider status: %w", err)
		}
		if version > st.LatestVersion {
			return &exitError{code: 2, msg: fmt.Sprintf("astral: keys retire: there is no KEK version %d: the latest is %d (see 'astral keys status')", version, st.LatestVersion)}
		}
		if err := a.keyring.Retire(ctx, version); err != nil {
			if errs.Is(err, errs.Conflict) {
				// Keys still use an older version. The keyring's safe
				// message counts them; the cause alone does not, and
				// does not say what to run.
				return &exitError{code: 1, msg: "astral: keys retire: " + englishMessage(err) +
					"\nRun 'astral keys rewrap', check 'astral keys status', then retire again."}
			}
			return fmt.Errorf("retire: %w", err)
		}
		fmt.Fprintf(out, "KEK versions below %d are retired: keys wrapped under them no longer open.\n", version)
		return nil
	}
	st, err := a.provider.Status(ctx)
	if err != nil {
		return fmt.Errorf("key provider status: %w", err)
	}
	counts, err := a.keyring.KeyStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Key provider: %s (latest KEK version %d, minimum decryption version %d)\n", st.Provider, st.LatestVersion, st.MinDecryptionVersion)
	fmt.Fprintln(out, "Live data keys by KEK version:")
	if len(counts) == 0 {
		fmt.Fprintln(out, "  (none yet)")
	}
	stale := 0
	for _, v := range st.Versions {
		fmt.Fprintf(out, "  v%d: %d\n", v, counts[v])
		if v < st.LatestVersion {
			stale += counts[v]
		}
	}
	for v, n := range counts {
		if !slices.Contains(st.Versions, v) {
			fmt.Fprintf(out, "  v%d: %d (version not available: these keys cannot be opened)\n", v, n)
		}
	}
	if stale > 0 {
		fmt.Fprintf(out, "%d data key(s) are on older versions; run 'astral keys rewrap'.\n", stale)
	}
	return nil
}

// englishMessage renders an error's safe message (errs.Public) in English,
// for the terminal.
func englishMessage(err error) string {
	_, key, args, _ := errs.Public(err)
	cat, cerr := i18n.Load()
	if cerr != nil {
		return err.Error()
	}
	return cat.T(i18n.English, key, args...)
}
