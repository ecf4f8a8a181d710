package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/astralcore/astral/internal/audit"
	"github.com/astralcore/astral/internal/store"
	"github.com/astralcore/astral/internal/store/storetest"
)

func TestAuditVerifySQLite(t *testing.T) {
	dir := t.TempDir()
	testAuditVerify(t, map[string]string{"ASTRAL_DATA_DIR": dir}, store.DriverSQLite, filepath.Join(dir, "astral.db"))
}

func TestAuditVerifyPostgres(t *testing.T) {
	url := storetest.PostgresURL(t)
	testAuditVerify(t, map[string]string{"ASTRAL_DATA_DIR": t.TempDir(), "ASTRAL_DATABASE_URL": url}, store.DriverPostgres, url)
}

// runAstral runs the command with env and returns its stdout and error.
func runAstral(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"astral"}, args...), func(k string) string { return env[k] }, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func exitCode(err error) int {
	var ex *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ex):
		return ex.code
	}
	return -1
}

// testAuditVerify seeds a clean chain and one chain per attack in
// storetest.AuditTampers, then runs `astral audit verify` as an operator
// would: it must name each broken chain with the right seq and exit 1.
func testAuditVerify(t *testing.T, env map[string]string, driver, dsn string) {
	if _, _, err := runAstral(t, env, "migrate"); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	db, err := store.Open(context.Background(), driver, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The development key the command will find in the data directory.
	signer, err := audit.LoadSigningKey(filepath.Join(env["ASTRAL_DATA_DIR"], "audit-signing.key"), true)
	if err != nil {
		t.Fatal(err)
	}
	storetest.SeedAuditChain(t, db, signer, "org-clean", storetest.AuditTamperEntries)

	out, stderr, err := runAstral(t, env, "audit", "verify")
	if err != nil || !strings.Contains(out, "org org-clean: ok: 30 entries, last checkpoint at seq 30\n") {
		t.Fatalf("audit verify on a clean log = %v\n%s%s", err, out, stderr)
	}

	tampers := storetest.AuditTampers()
	for i, tt := range tampers {
		org := fmt.Sprintf("org-tamper-%d", i)
		storetest.SeedAuditChain(t, db, signer, org, storetest.AuditTamperEntries)
		storetest.WithoutAuditTriggers(t, db, func() { tt.Apply(t, db, org) })
	}
	out, _, err = runAstral(t, env, "audit", "verify")
	if exitCode(err) != 1 {
		t.Errorf("audit verify = %v, want exit status 1", err)
	}
	if !strings.Contains(out, "org org-clean: ok: 30 entries") {
		t.Errorf("output lacks the clean chain:\n%s", out)
	}
	for i, tt := range tampers {
		want := fmt.Sprintf("org org-tamper-%d: BROKEN at seq %d: %s: ", i, tt.Seq, tt.Reason)
		if !strings.Contains(out, want) {
			t.Errorf("%s: output lacks %q:\n%s", tt.Name, want, out)
		}
	}

	// --org picks one chain.
	if out, _, err := runAstral(t, env, "audit", "verify", "--org", "org-clean"); err != nil || strings.Count(out, "\n") != 1 {
		t.Errorf("audit verify --org org-clean = %v\n%s", err, out)
	}
	for i, tt := range tampers {
		if _, _, err := runAstral(t, env, "audit", "verify", "--org", fmt.Sprintf("org-tamper-%d", i)); exitCode(err) != 1 {
			t.Errorf("%s: audit verify --org = %v, want exit status 1", tt.Name, err)
		}
	}

	// Purge refuses the broken chains and leaves the clean one alone: its
	// entries are young.
	if _, _, err := runAstral(t, env, "audit", "purge", "--org", "org-clean"); err != nil {
		t.Errorf("audit purge --org org-clean = %v", err)
	}
	if _, _, err := runAstral(t, env, "audit", "purge", "--org", "org-tamper-0"); err == nil {
		t.Error("audit purge of a broken chain succeeded")
	}
	for _, args := range [][]string{{"audit"}, {"audit", "frobnicate"}, {"audit", "verify", "extra"}} {
		if _, _, err := runAstral(t, env, args...); exitCode(err) != 2 {
			t.Errorf("%v = %v, want status 2", args, err)
		}
	}
}
