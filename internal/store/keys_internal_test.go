package store

import (
	"slices"
	"testing"
)

// TestKeyMigrationParity checks that both engines have the same keystore
// migrations, and that the two sets are recorded apart.
func TestKeyMigrationParity(t *testing.T) {
	names := func(engine string) []string {
		ms, err := keyMigrations.load(engine)
		if err != nil {
			t.Fatalf("keyMigrations.load(%s): %v", engine, err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.name)
		}
		return out
	}
	if s, p := names("sqlite"), names("postgres"); len(s) == 0 || !slices.Equal(s, p) {
		t.Errorf("keystore migrations differ: sqlite %v, postgres %v", s, p)
	}
	if keyMigrations.table == coreMigrations.table {
		t.Error("the keystore and the core schema share a migrations table")
	}
}
