package session_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/session"
	"github.com/astralcore/astral/internal/store"
	"github.com/astralcore/astral/internal/store/storetest"
)

// TestOnlyHashesStored greps the SQLite files for the raw tokens: absent,
// in text and in raw bytes, while their hashes are present (which shows the
// grep would have found them).
func TestOnlyHashesStored(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "astral.db")
	db, err := store.Open(ctx, store.DriverSQLite, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	clk := newClock()
	m := session.New(db, nil, session.Options{Now: clk.Now})
	u := storetest.MustUser(t, db, storetest.MustOrganization(t, db).ID, identity.RolePatient)

	tok, _, err := m.Create(ctx, session.NewSession{OrgID: u.OrgID, UserID: u.ID, Role: u.Role})
	if err != nil {
		t.Fatal(err)
	}
	rotated, _, err := m.Rotate(ctx, tok, nil)
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := m.CreateToken(ctx, u.OrgID, u.ID, "Canary", []string{"profile:read"}, clk.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.ValidateToken(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil { // checkpoints the WAL into the file
		t.Fatal(err)
	}

	var files []byte
	matches, _ := filepath.Glob(path + "*")
	for _, p := range matches {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b...)
	}
	for _, raw := range []string{tok, rotated, secret} {
		h := sha256.Sum256([]byte(raw))
		if raw == rotated || raw == secret { // the first hash was replaced by the rotation
			if !bytes.Contains(files, h[:]) {
				t.Error("a token hash is missing from the database file; the grep proves nothing")
			}
		}
		body := raw[len(raw)-43:]
		dec, _ := base64.RawURLEncoding.DecodeString(body)
		for _, needle := range [][]byte{[]byte(raw), []byte(body), dec} {
			if bytes.Contains(files, needle) {
				t.Error("a raw token is in the database file")
			}
		}
	}
}
