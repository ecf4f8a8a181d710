package identity

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/astralcore/astral/internal/errs"
)

func TestValidSlug(t *testing.T) {
	for slug, want := range map[string]bool{
		"abc": true, "north-clinic": true, "a1-2b": true, strings.Repeat("a", 63): true,
		"ab": false, strings.Repeat("a", 64): false, "-abc": false, "abc-": false,
		"Abc": false, "ab c": false, "ab_c": false, "äbc": false, "": false,
	} {
		if got := ValidSlug(slug); got != want {
			t.Errorf("ValidSlug(%q) = %v, want %v", slug, got, want)
		}
	}
}

// fields returns the field problems of err as "field:message" strings.
func fields(err error) []string {
	_, _, _, fs := errs.Public(err)
	var out []string
	for _, f := range fs {
		out = append(out, f.Field+":"+f.Message)
	}
	return out
}

func TestValidate(t *testing.T) {
	bad, admin := Role("owner"), RoleAdmin
	active := User{ID: "t", Role: RoleTherapist, Status: StatusActive}
	patient := User{ID: "p", Role: RolePatient, Status: StatusActive}
	sup := User{ID: "s", Role: RoleSupervisor, Status: StatusActive}
	inactive := User{ID: "i", Role: RolePatient, Status: StatusDeactivated}
	tests := []struct {
		name string
		err  error
		want []string // nil: valid
	}{
		{"org ok", ValidateOrganization("North", "north"), nil},
		{"org empty", ValidateOrganization("", ""), []string{"name:field.required", "slug:field.required"}},
		{"org long", ValidateOrganization(strings.Repeat("é", 201), "N"), []string{"name:field.too_long", "slug:field.invalid_slug"}},
		{"user ok", ValidateNewUser("o", RoleStaff), nil},
		{"user bad", ValidateNewUser("", bad), []string{"org_id:field.required", "role:field.invalid_choice"}},
		{"filter ok", UserFilter{OrgID: "o", Role: &admin}.Validate(), nil},
		{"filter bad", UserFilter{Role: &bad, Limit: -1}.Validate(), []string{"org_id:field.required", "role:field.invalid_choice", "limit:field.out_of_range"}},
		{"update empty", UserUpdate{}.Validate(), []string{"update:field.required"}},
		{"update ok", UserUpdate{Role: &admin}.Validate(), nil},
		{"care ok", ValidateCareTeam(&active, &patient), nil},
		{"care supervisor ok", ValidateCareTeam(&sup, &patient), nil},
		{"care missing", ValidateCareTeam(nil, nil), []string{"therapist_id:field.unknown", "patient_id:field.unknown"}},
		{"care roles", ValidateCareTeam(&patient, &active), []string{"therapist_id:field.invalid_role", "patient_id:field.invalid_role"}},
		{"care inactive", ValidateCareTeam(&active, &inactive), []string{"patient_id:field.inactive"}},
		{"supervision ok", ValidateSupervision(&sup, &active), nil},
		{"supervision self", ValidateSupervision(&sup, &sup), []string{"therapist_id:field.same_user"}},
		{"supervision roles", ValidateSupervision(&active, &patient), []string{"supervisor_id:field.invalid_role", "therapist_id:field.invalid_role"}},
		{"care filter", CareRelationshipFilter{Limit: MaxLimit + 1}.Validate(), []string{"org_id:field.required", "limit:field.out_of_range"}},
		{"supervision filter", SupervisionFilter{OrgID: "o"}.Validate(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == nil {
				if tt.err != nil {
					t.Fatalf("err = %v, want nil", tt.err)
				}
				return
			}
			if !errs.Is(tt.err, errs.Invalid) {
				t.Fatalf("err = %v, want Invalid", tt.err)
			}
			if diff := cmp.Diff(tt.want, fields(tt.err)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRoles(t *testing.T) {
	for _, r := range Roles() {
		if !r.Valid() {
			t.Errorf("%q not valid", r)
		}
	}
	if Role("root").Valid() || Role("").Valid() {
		t.Error("unknown role valid")
	}
	if !RoleSupervisor.Clinician() || RoleStaff.Clinician() {
		t.Error("Clinician wrong")
	}
}
