package storetest

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/mfa"
	"github.com/astralcore/astral/internal/store"
)

// RunWebAuthn runs the contract suite of the WebAuthn credential and
// challenge tables. newDB is as for Run.
func RunWebAuthn(t *testing.T, newDB func(t *testing.T) *store.DB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, db *store.DB)
	}{
		{"Credentials", testWebAuthnCredentials},
		{"CredentialRules", testWebAuthnCredentialRules},
		{"CredentialUse", testWebAuthnCredentialUse},
		{"Challenges", testWebAuthnChallenges},
		{"ChallengeTakenOnce", testWebAuthnChallengeTakenOnce},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newDB(t))
		})
	}
}

// WebAuthnRecord returns a credential record for user userID with a
// credential id made of n, as a registration would store it.
func WebAuthnRecord(orgID, userID string, n byte) mfa.WebAuthnRecord {
	return mfa.WebAuthnRecord{
		WebAuthnCredential: mfa.WebAuthnCredential{
			OrgID:      orgID,
			UserID:     userID,
			Nickname:   "Key " + string('A'+n%26),
			Transports: []string{"usb", "nfc"},
		},
		RPID:              "astral.example",
		CredentialID:      bytes.Repeat([]byte{n}, 32),
		PublicKey:         []byte{0xa5, 0x01, 0x02, n},
		SignCount:         7,
		AAGUID:            make([]byte, 16),
		Flags:             0x45, // UP, UV, AT
		AttestationType:   "none",
		AttestationFormat: "none",
	}
}

// mustWebAuthnCredential stores r or fails the test.
func mustWebAuthnCredential(t *testing.T, db *store.DB, r mfa.WebAuthnRecord) mfa.WebAuthnRecord {
	t.Helper()
	saved, err := db.CreateWebAuthnCredential(context.Background(), r)
	if err != nil {
		t.Fatalf("CreateWebAuthnCredential: %v", err)
	}
	return saved
}

func testWebAuthnCredentials(t *testing.T, db *store.DB) {
	ctx := context.Background()
	org := MustOrganization(t, db)
	u := MustUser(t, db, org.ID, identity.RoleTherapist)
	other := MustUser(t, db, org.ID, identity.RoleTherapist)

	if n, err := db.CountWebAuthnCredentials(ctx, org.ID, u.ID); err != nil || n != 0 {
		t.Fatalf("CountWebAuthnCredentials before = %d, %v; want 0", n, err)
	}
	if list, err := db.WebAuthnCredentials(ctx, org.ID, u.ID); err != nil || list == nil || len(list) != 0 {
		t.Fatalf("WebAuthnCredentials before = %v, %v; want an empty slice", list, err)
	}

	want := WebAuthnRecord(org.ID, u.ID, 1)
	a := mustWebAuthnCredential(t, db, want)
	if a.ID == "" || a.LastUsedAt != nil || a.CloneWarning || a.Synced {
		t.Errorf("CreateWebAuthnCredential = %+v", a)
	}
	wantRecent(t, "CreatedAt", a.CreatedAt)
	want.ID, want.CreatedAt = a.ID, a.CreatedAt
	if diff := cmp.Diff(want, a); diff != "" {
		t.Errorf("CreateWebAuthnCredential mismatch (-want +got):\n%s", diff)
	}
	synced := WebAuthnRecord(org.ID, u.ID, 2)
	synced.Flags |= 0x08 // BE
	synced.Transports = nil
	b := mustWebAuthnCredential(t, db, synced)
	if !b.Synced || b.Transports == nil || len(b.Transports) != 0 {
		t.Errorf("synced credential = %+v, want Synced and no transports", b)
	}
	mustWebAuthnCredential(t, db, WebAuthnRecord(org.ID, other.ID, 3))

	list, err := db.WebAuthnCredentials(ctx, org.ID, u.ID)
	if err != nil {
		t.Fatalf("WebAuthnCredentials: %v", err)
	}
	if diff := cmp.Diff([]mfa.WebAuthnRecord{a, b}, list); diff != "" {
		t.Errorf("WebAuthnCredentials mismatch (-want +got):\n%s", diff)
	}
	if n, err := db.CountWebAuthnCredentials(ctx, org.ID, u.ID); err != nil || n != 2 {
		t.Errorf("CountWebAuthnCredentials = %d, %v; want 2", n, err)
	}
	got, err := db.WebAuthnCredentialByCredentialID(ctx, a.CredentialID)
	if err != nil {
		t.Fatalf("WebAuthnCredentialByCredentialID: %v", err)
	}
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("WebAuthnCredentialByCredentialID mismatch (-want +got):\n%s", diff)
	}
	_, err = db.WebAuthnCredentialByCredentialID(ctx, []byte("unknown"))
	wantKind(t, err, errs.NotFound)

	// Rename and delete only the owner's credential, in the owner's practice.
	renamed, err := db.RenameWebAuthnCredential(ctx, org.ID, u.ID, a.ID, "Blue key")
	if err != nil || renamed.Nickname != "Blue key" || renamed.ID != a.ID {
		t.Fatalf("RenameWebAuthnCredential = %+v, %v", renamed, err)
	}
	_, err = db.RenameWebAuthnCredential(ctx, org.ID, other.ID, a.ID, "Stolen")
	wantKind(t, err, errs.NotFound)
	_, err = db.RenameWebAuthnCredential(ctx, MustOrganization(t, db).ID, u.ID, a.ID, "Stolen")
	wantKind(t, err, errs.NotFound)
	wantKind(t, db.DeleteWebAuthnCredential(ctx, org.ID, other.ID, a.ID), errs.NotFound)
	if err := db.DeleteWebAuthnCredential(ctx, org.ID, u.ID, a.ID); err != nil {
		t.Fatalf("DeleteWebAuthnCredential: %v", err)
	}
	wantKind(t, db.DeleteWebAuthnCredential(ctx, org.ID, u.ID, a.ID), errs.NotFound)
	_, err = db.WebAuthnCredentialByCredentialID(ctx, a.CredentialID)
	wantKind(t, err, errs.NotFound)
	if n, err := db.CountWebAuthnCredentials(ctx, org.ID, u.ID); err != nil || n != 1 {
		t.Errorf("CountWebAuthnCredentials after delete = %d, %v; want 1", n, err)
	}
}

func testWebAuthnCredentialRules(t *testing.T, db *store.DB) {
	ctx := context.Background()
	org, otherOrg := MustOrganization(t, db), MustOrganization(t, db)
	u := MustUser(t, db, org.ID, identity.RolePatient)
	a := mustWebAuthnCredential(t, db, WebAuthnRecord(org.ID, u.ID, 1))

	tests := []struct {
		name   string
		modify func(r *mfa.WebAuthnRecord)
		want   errs.Kind
	}{
		{"credential id taken", func(r *mfa.WebAuthnRecord) { r.CredentialID = a.CredentialID }, errs.Conflict},
		{"unknown user", func(r *mfa.WebAuthnRecord) { r.UserID = "no-such-user" }, errs.Invalid},
		{"user of another practice", func(r *mfa.WebAuthnRecord) { r.OrgID = otherOrg.ID }, errs.Invalid},
		{"empty nickname", func(r *mfa.WebAuthnRecord) { r.Nickname = "" }, errs.Invalid},
		{"long nickname", func(r *mfa.WebAuthnRecord) { r.Nickname = string(bytes.Repeat([]byte("n"), 65)) }, errs.Invalid},
		{"empty credential id", func(r *mfa.WebAuthnRecord) { r.CredentialID = []byte{} }, errs.Invalid},
		{"short aaguid", func(r *mfa.WebAuthnRecord) { r.AAGUID = []byte{1} }, errs.Invalid},
		{"comma in transport", func(r *mfa.WebAuthnRecord) { r.Transports = []string{"usb,nfc"} }, errs.Invalid},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := WebAuthnRecord(org.ID, u.ID, byte(10+i))
			tt.modify(&r)
			_, err := db.CreateWebAuthnCredential(ctx, r)
			wantKind(t, err, tt.want)
		})
	}
	// A 64-character nickname of multi-byte letters fits on both engines.
	long := string(bytes.Repeat([]byte("ü"), 64))
	if r, err := db.RenameWebAuthnCredential(ctx, org.ID, u.ID, a.ID, long); err != nil || r.Nickname != long {
		t.Errorf("RenameWebAuthnCredential(64 × ü) = %q, %v", r.Nickname, err)
	}
	_, err := db.RenameWebAuthnCredential(ctx, org.ID, u.ID, a.ID, "")
	wantKind(t, err, errs.Invalid)
}

func testWebAuthnCredentialUse(t *testing.T, db *store.DB) {
	ctx := context.Background()
	org := MustOrganization(t, db)
	u := MustUser(t, db, org.ID, identity.RoleAdmin)
	a := mustWebAuthnCredential(t, db, WebAuthnRecord(org.ID, u.ID, 1)) // sign count 7

	steps := []struct {
		name      string
		use       mfa.WebAuthnUse
		wantCount uint32
		wantClone bool
	}{
		{"counter increases", mfa.WebAuthnUse{SignCount: 9, Flags: 0x05}, 9, false},
		{"lower counter never lowers it", mfa.WebAuthnUse{SignCount: 3, Flags: 0x05, CloneWarning: true}, 9, true},
		{"warning is never cleared", mfa.WebAuthnUse{SignCount: 12, Flags: 0x01}, 12, true},
	}
	for _, s := range steps {
		got, err := db.UpdateWebAuthnCredentialUse(ctx, org.ID, a.ID, s.use)
		if err != nil {
			t.Fatalf("%s: UpdateWebAuthnCredentialUse: %v", s.name, err)
		}
		if got.SignCount != s.wantCount || got.CloneWarning != s.wantClone || got.Flags != s.use.Flags || got.LastUsedAt == nil {
			t.Errorf("%s: got count %d, clone %v, flags %#x, last used %v; want %d, %v, %#x, set",
				s.name, got.SignCount, got.CloneWarning, got.Flags, got.LastUsedAt, s.wantCount, s.wantClone, s.use.Flags)
		}
	}
	list, err := db.WebAuthnCredentials(ctx, org.ID, u.ID)
	if err != nil || len(list) != 1 || list[0].LastUsedAt == nil || !list[0].CloneWarning {
		t.Fatalf("WebAuthnCredentials after use = %+v, %v", list, err)
	}
	wantRecent(t, "LastUsedAt", *list[0].LastUsedAt)
	_, err = db.UpdateWebAuthnCredentialUse(ctx, MustOrganization(t, db).ID, a.ID, mfa.WebAuthnUse{SignCount: 20})
	wantKind(t, err, errs.NotFound)
}
