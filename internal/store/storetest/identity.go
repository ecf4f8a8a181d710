package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
	"github.com/astralcore/astral/internal/store"
)

func testOrganizations(t *testing.T, db *store.DB) {
	ctx := context.Background()
	o, err := db.CreateOrganization(ctx, "North Clinic", "north-clinic")
	if err != nil {
		t.Fatalf("CreateOrganization: %v", err)
	}
	if o.ID == "" || o.Name != "North Clinic" || o.Slug != "north-clinic" || !o.CreatedAt.Equal(o.UpdatedAt) {
		t.Errorf("CreateOrganization = %+v", o)
	}
	wantRecent(t, "CreatedAt", o.CreatedAt)

	got, err := db.OrganizationByID(ctx, o.ID)
	if err != nil {
		t.Fatalf("OrganizationByID: %v", err)
	}
	if diff := cmp.Diff(o, got); diff != "" {
		t.Errorf("OrganizationByID mismatch (-created +read):\n%s", diff)
	}
	got, err = db.OrganizationBySlug(ctx, "north-clinic")
	if err != nil {
		t.Fatalf("OrganizationBySlug: %v", err)
	}
	if diff := cmp.Diff(o, got); diff != "" {
		t.Errorf("OrganizationBySlug mismatch (-created +read):\n%s", diff)
	}

	_, err = db.CreateOrganization(ctx, "Another", "north-clinic")
	wantKind(t, err, errs.Conflict)
	wantField(t, err, "slug", "field.taken")

	_, err = db.CreateOrganization(ctx, "", "No_Caps")
	wantKind(t, err, errs.Invalid)
	wantField(t, err, "name", "field.required")
	wantField(t, err, "slug", "field.invalid_slug")
	for _, slug := range []string{"ab", "-abc", "abc-", "ab c", "Abc", strings.Repeat("a", 64)} {
		_, err := db.CreateOrganization(ctx, "X", slug)
		wantKind(t, err, errs.Invalid)
	}
	// The schema enforces the slug rule too.
	err = rawExec(db, `INSERT INTO organizations (id, name, slug, created_at, updated_at)
		VALUES ('raw-org', 'Raw', 'Bad Slug', '2020-01-01T00:00:00.000000Z', '2020-01-01T00:00:00.000000Z')`)
	if err == nil {
		t.Error("schema accepted an invalid slug")
	}

	_, err = db.OrganizationByID(ctx, "00000000-0000-7000-8000-000000000000")
	wantKind(t, err, errs.NotFound)
	_, err = db.OrganizationBySlug(ctx, "missing")
	wantKind(t, err, errs.NotFound)

	// Pagination: three practices in id order.
	for _, slug := range []string{"second", "third"} {
		if _, err := db.CreateOrganization(ctx, "P", slug); err != nil {
			t.Fatal(err)
		}
	}
	first, err := db.Organizations(ctx, identity.OrganizationFilter{Limit: 2})
	if err != nil || len(first) != 2 {
		t.Fatalf("Organizations(limit 2) = %d, %v; want 2", len(first), err)
	}
	rest, err := db.Organizations(ctx, identity.OrganizationFilter{After: first[1].ID})
	if err != nil || len(rest) != 1 || rest[0].ID <= first[1].ID {
		t.Fatalf("Organizations(after) = %+v, %v; want the third", rest, err)
	}
	_, err = db.Organizations(ctx, identity.OrganizationFilter{Limit: identity.MaxLimit + 1})
	wantKind(t, err, errs.Invalid)
}

func testUsers(t *testing.T, db *store.DB) {
	ctx := context.Background()
	org, other := MustOrganization(t, db), MustOrganization(t, db)

	var created []identity.User
	for _, r := range identity.Roles() {
		u, err := db.CreateUser(ctx, org.ID, r)
		if err != nil {
			t.Fatalf("CreateUser(%s): %v", r, err)
		}
		if u.OrgID != org.ID || u.Role != r || u.Status != identity.StatusActive || u.Version != 1 {
			t.Errorf("CreateUser(%s) = %+v", r, u)
		}
		wantRecent(t, "CreatedAt", u.CreatedAt)
		got, err := db.UserByID(ctx, org.ID, u.ID)
		if err != nil {
			t.Fatalf("UserByID: %v", err)
		}
		if diff := cmp.Diff(u, got); diff != "" {
			t.Errorf("UserByID mismatch (-created +read):\n%s", diff)
		}
		created = append(created, u)
	}
	outsider := MustUser(t, db, other.ID, identity.RoleTherapist)

	_, err := db.UserByID(ctx, other.ID, created[0].ID)
	wantKind(t, err, errs.NotFound) // another practice's user
	_, err = db.UserByID(ctx, org.ID, "00000000-0000-7000-8000-000000000000")
	wantKind(t, err, errs.NotFound)

	_, err = db.CreateUser(ctx, org.ID, "owner")
	wantKind(t, err, errs.Invalid)
	wantField(t, err, "role", "field.invalid_choice")
	_, err = db.CreateUser(ctx, "00000000-0000-7000-8000-000000000000", identity.RolePatient)
	wantKind(t, err, errs.Invalid) // foreign key
	err = rawExec(db, `INSERT INTO users (id, org_id, role, status, created_at, updated_at, version)
		VALUES ('raw-user', ?, 'owner', 'active', '2020-01-01T00:00:00.000000Z', '2020-01-01T00:00:00.000000Z', 1)`, org.ID)
	if err == nil {
		t.Error("schema accepted an unknown role")
	}

	all, err := db.Users(ctx, identity.UserFilter{OrgID: org.ID})
	if err != nil {
		t.Fatalf("Users: %v", err)
	}
	if diff := cmp.Diff(created, all); diff != "" {
		t.Errorf("Users mismatch (-created +listed):\n%s", diff) // UUIDv7: id order is creation order
	}
	therapists, err := db.Users(ctx, identity.UserFilter{OrgID: org.ID, Role: ptr(identity.RoleTherapist)})
	if err != nil || len(therapists) != 1 || therapists[0].Role != identity.RoleTherapist {
		t.Errorf("Users(role therapist) = %+v, %v", therapists, err)
	}
	if _, err := db.UpdateUser(ctx, org.ID, created[0].ID, 1, identity.UserUpdate{Status: ptr(identity.StatusDeactivated)}); err != nil {
		t.Fatal(err)
	}
	inactive, err := db.Users(ctx, identity.UserFilter{OrgID: org.ID, Status: ptr(identity.StatusDeactivated)})
	if err != nil || len(inactive) != 1 || inactive[0].ID != created[0].ID {
		t.Errorf("Users(deactivated) = %+v, %v", inactive, err)
	}
	page1, err := db.Users(ctx, identity.UserFilter{OrgID: org.ID, Limit: 2})
	if err != nil || len(page1) != 2 {
		t.Fatalf("Users(limit 2) = %d, %v", len(page1), err)
	}
	page2, err := db.Users(ctx, identity.UserFilter{OrgID: org.ID, After: page1[1].ID})
	if err != nil || len(page2) != len(created)-2 {
		t.Fatalf("Users(after) = %d, %v; want %d", len(page2), err, len(created)-2)
	}
	others, err := db.Users(ctx, identity.UserFilter{OrgID: other.ID})
	if err != nil || len(others) != 1 || others[0].ID != outsider.ID {
		t.Errorf("Users(other practice) = %+v, %v", others, err)
	}
	none, err := db.Users(ctx, identity.UserFilter{OrgID: "no-such-org"})
	if err != nil || none == nil || len(none) != 0 {
		t.Errorf("Users(unknown practice) = %#v, %v; want an empty slice", none, err)
	}
	_, err = db.Users(ctx, identity.UserFilter{})
	wantKind(t, err, errs.Invalid)
	wantField(t, err, "org_id", "field.required")
}

func testUpdateUser(t *testing.T, db *store.DB) {
	ctx := context.Background()
	org, other := MustOrganization(t, db), MustOrganization(t, db)
	u := MustUser(t, db, org.ID, identity.RoleTherapist)

	got, err := db.UpdateUser(ctx, org.ID, u.ID, 1, identity.UserUpdate{Role: ptr(identity.RoleSupervisor)})
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	if got.Role != identity.RoleSupervisor || got.Version != 2 || got.UpdatedAt.Before(u.UpdatedAt) || !got.CreatedAt.Equal(u.CreatedAt) {
		t.Errorf("UpdateUser = %+v", got)
	}
	read, err := db.UserByID(ctx, org.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, read); diff != "" {
		t.Errorf("UserByID after update (-returned +read):\n%s", diff)
	}

	_, err = db.UpdateUser(ctx, org.ID, u.ID, 1, identity.UserUpdate{Role: ptr(identity.RoleAdmin)})
	wantKind(t, err, errs.Conflict) // stale version
	if read, _ := db.UserByID(ctx, org.ID, u.ID); read.Role != identity.RoleSupervisor || read.Version != 2 {
		t.Errorf("a stale update changed the user: %+v", read)
	}
	_, err = db.UpdateUser(ctx, other.ID, u.ID, 2, identity.UserUpdate{Role: ptr(identity.RoleAdmin)})
	wantKind(t, err, errs.NotFound) // another practice
	_, err = db.UpdateUser(ctx, org.ID, "00000000-0000-7000-8000-000000000000", 1, identity.UserUpdate{Role: ptr(identity.RoleAdmin)})
	wantKind(t, err, errs.NotFound)
	_, err = db.UpdateUser(ctx, org.ID, u.ID, 2, identity.UserUpdate{})
	wantKind(t, err, errs.Invalid)
	_, err = db.UpdateUser(ctx, org.ID, u.ID, 2, identity.UserUpdate{Status: ptr(identity.Status("gone"))})
	wantKind(t, err, errs.Invalid)
	wantField(t, err, "status", "field.invalid_choice")
}
