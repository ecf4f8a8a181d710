package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/astralcore/astral/internal/audit"
	"github.com/astralcore/astral/internal/config"
)

// auditCmd implements `astral audit verify|purge [--org ID]`.
func auditCmd(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 {
		return usageError("audit: use 'astral audit verify [--org ID]' or 'astral audit purge [--org ID]'")
	}
	switch args[0] {
	case "verify":
		return auditVerifyCmd(ctx, env, args[1:])
	case "purge":
		return auditPurgeCmd(ctx, env, args[1:])
	}
	return usageError("audit: unknown subcommand %q; use verify or purge", args[0])
}

// auditVerifyCmd implements `astral audit verify [--org ID]`: it walks each
// practice's chain (all of them without --org), prints one line per
// practice, and exits with status 1 if any chain is broken.
func auditVerifyCmd(ctx context.Context, env *environment, args []string) error {
	cfg, org, err := auditConfig(env, "audit verify", args)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, newLogger(cfg, env.stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	keys, err := auditTrustedKeys(cfg)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		fmt.Fprintln(env.stderr, "astral: no audit signing key is configured or present; every checkpoint will count as untrusted")
	}
	v := audit.NewVerifier(a.db, keys...)
	var reports []audit.Report
	if org != "" {
		r, err := v.Verify(ctx, org)
		if err != nil {
			return fmt.Errorf("audit verify: %w", err)
		}
		reports = append(reports, r)
	} else if reports, err = v.VerifyAll(ctx); err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	broken := 0
	for _, r := range reports {
		if r.Broken != nil {
			broken++
			fmt.Fprintf(env.stdout, "org %s: BROKEN at seq %d: %s: %s\n", r.OrgID, r.Broken.Seq, r.Broken.Reason, r.Broken.Detail)
			continue
		}
		last := "none"
		if r.LastCheckpointSeq > 0 {
			last = fmt.Sprint(r.LastCheckpointSeq)
		}
		fmt.Fprintf(env.stdout, "org %s: ok: %d entries, last checkpoint at seq %s\n", r.OrgID, r.Entries, last)
	}
	if broken > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("astral: audit verify: %d of %d chains are broken", broken, len(reports))}
	}
	return nil
}

// auditPurgeCmd implements `astral audit purge [--org ID]`: it removes
// entries whose retention has passed (see audit.Recorder.Purge). With the
// PostgreSQL grants of docs/audit.md, run it with a database URL whose role
// may delete audit rows.
func auditPurgeCmd(ctx context.Context, env *environment, args []string) error {
	cfg, org, err := auditConfig(env, "audit purge", args)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, newLogger(cfg, env.stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	orgs := []string{org}
	if org == "" {
		if orgs, err = a.db.AuditOrgIDs(ctx); err != nil {
			return fmt.Errorf("audit purge: %w", err)
		}
	}
	for _, o := range orgs {
		res, err := a.audit.Purge(ctx, o)
		if err != nil {
			return fmt.Errorf("audit purge: org %s: %w", o, err)
		}
		if res.Through > 0 {
			fmt.Fprintf(env.stdout, "org %s: purged %d entries, through seq %d\n", o, res.Entries, res.Through)
		}
	}
	return nil
}

// auditConfig parses the flags of an audit subcommand, --org among them, and
// loads the configuration.
func auditConfig(env *environment, name string, args []string) (*config.Config, string, error) {
	fs := newFlagSet(name, env)
	lookup := config.AddFlags(fs, env.getenv)
	org := fs.String("org", "", "only this practice's chain (default: every practice)")
	if err := fs.Parse(args); err != nil {
		return nil, "", flagError(err)
	}
	if fs.NArg() > 0 {
		return nil, "", usageError("%s: unexpected argument %q", name, fs.Arg(0))
	}
	cfg, err := config.Load(lookup)
	if err != nil {
		if ps, ok := errors.AsType[*config.Problems](err); ok {
			return nil, "", &exitError{code: 2, msg: ps.Error()}
		}
		return nil, "", err
	}
	return cfg, *org, nil
}

// auditSigner returns the key that signs checkpoints: ASTRAL_AUDIT_SIGNING_KEY,
// or the key file, which outside production is created on first use when
// create is set.
func auditSigner(cfg *config.Config, create bool) (*audit.Signer, error) {
	if cfg.AuditSigningKey != "" {
		return audit.ParseSigningKey(cfg.AuditSigningKey.Reveal())
	}
	path := cfg.AuditSigningKeyPath()
	create = create && !cfg.IsProduction()
	if create {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
	}
	return audit.LoadSigningKey(path, create)
}

// auditTrustedKeys returns the public keys verify trusts: the signing key's,
// when one exists, and ASTRAL_AUDIT_TRUSTED_KEYS.
func auditTrustedKeys(cfg *config.Config) ([]ed25519.PublicKey, error) {
	keys := append([]ed25519.PublicKey(nil), cfg.AuditTrustedKeys...)
	s, err := auditSigner(cfg, false)
	switch {
	case err == nil:
		keys = append(keys, s.PublicKey())
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	return keys, nil
}

// newAuditRecorder starts the audit recorder over a's database; the caller
// closes it before a.
func newAuditRecorder(a *app) (*audit.Recorder, error) {
	s, err := auditSigner(a.cfg, true)
	if err != nil {
		return nil, err
	}
	return audit.NewRecorder(a.db, s, audit.Options{TrustedKeys: a.cfg.AuditTrustedKeys, Logger: a.log})
}
