package mfa_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

func TestBackupCodes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, cheapParams)
	codes, err := f.svc.RegenerateBackupCodes(ctx, f.org, f.user)
	if err != nil {
		t.Fatal(err)
	}
	shape := regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$`)
	seen := map[string]bool{}
	for _, c := range codes {
		if !shape.MatchString(c.Reveal()) || seen[c.Reveal()[:2]] {
			t.Fatalf("code %s: wrong shape or repeated lookup id", c.Reveal())
		}
		seen[c.Reveal()[:2]] = true
	}
	if len(codes) != 10 {
		t.Fatalf("got %d codes, want 10", len(codes))
	}

	// Typed loosely: lower case, spaces instead of dashes, none at all.
	loose := []string{
		strings.ToLower(codes[0].Reveal()),
		strings.ReplaceAll(codes[1].Reveal(), "-", " "),
		" " + strings.ReplaceAll(codes[2].Reveal(), "-", "") + " ",
	}
	for i, in := range loose {
		if err := f.svc.VerifyBackupCode(ctx, f.org, f.user, in); err != nil {
			t.Errorf("code %d typed as %q: %v", i, in, err)
		}
	}
	for i := range 3 {
		wantCodeInvalid(t, "used code", f.svc.VerifyBackupCode(ctx, f.org, f.user, codes[i].Reveal()))
	}
	if n, err := f.svc.BackupCodesLeft(ctx, f.org, f.user); err != nil || n != 7 {
		t.Errorf("BackupCodesLeft = %d, %v; want 7", n, err)
	}

	// Wrong secret behind a real lookup id; unknown lookup id; malformed.
	c := codes[3].Reveal()
	wrong := c[:len(c)-1] + string("0123456789ABCDEFGHJKMNPQRSTVWXYZ"[(strings.IndexByte("0123456789ABCDEFGHJKMNPQRSTVWXYZ", c[len(c)-1])+1)%32])
	wantCodeInvalid(t, "wrong secret", f.svc.VerifyBackupCode(ctx, f.org, f.user, wrong))
	wantCodeInvalid(t, "unknown lookup", f.svc.VerifyBackupCode(ctx, f.org, f.user, unusedLookup(seen)+c[2:]))
	wantCodeInvalid(t, "malformed", f.svc.VerifyBackupCode(ctx, f.org, f.user, "not-a-code"))
	// Another user cannot use them.
	wantCodeInvalid(t, "another user", f.svc.VerifyBackupCode(ctx, f.org, newUser(t, f), c))
	if err := f.svc.VerifyBackupCode(ctx, f.org, f.user, c); err != nil {
		t.Errorf("code after failed attempts: %v", err)
	}

	// Regenerating replaces all of them.
	fresh, err := f.svc.RegenerateBackupCodes(ctx, f.org, f.user)
	if err != nil {
		t.Fatal(err)
	}
	for _, old := range codes[4:] {
		wantCodeInvalid(t, "code of the old set", f.svc.VerifyBackupCode(ctx, f.org, f.user, old.Reveal()))
	}
	if n, err := f.svc.BackupCodesLeft(ctx, f.org, f.user); err != nil || n != 10 {
		t.Errorf("BackupCodesLeft after regenerating = %d, %v; want 10", n, err)
	}
	if err := f.svc.VerifyBackupCode(ctx, f.org, f.user, fresh[9].Reveal()); err != nil {
		t.Errorf("fresh code: %v", err)
	}
}

// unusedLookup returns a two-character lookup id that is not in seen.
func unusedLookup(seen map[string]bool) string {
	const a = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	for i := range len(a) {
		for j := range len(a) {
			if l := string(a[i]) + string(a[j]); !seen[l] {
				return l
			}
		}
	}
	panic("every lookup id taken")
}

func TestBackupCodeConcurrentUse(t *testing.T) {
	f := newFixture(t, cheapParams)
	codes, err := f.svc.RegenerateBackupCodes(context.Background(), f.org, f.user)
	if err != nil {
		t.Fatal(err)
	}
	if n := concurrently(t, 20, func() error {
		return f.svc.VerifyBackupCode(context.Background(), f.org, f.user, codes[0].Reveal())
	}); n != 1 {
		t.Errorf("%d of 20 concurrent uses of one backup code succeeded, want exactly 1", n)
	}
	if n, err := f.svc.BackupCodesLeft(context.Background(), f.org, f.user); err != nil || n != 9 {
		t.Errorf("BackupCodesLeft = %d, %v; want 9", n, err)
	}
}
