package password

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/identity"
)

func TestMinLength(t *testing.T) {
	want := map[identity.Role]int{
		identity.RolePatient:    8,
		identity.RoleTherapist:  12,
		identity.RoleSupervisor: 12,
		identity.RoleStaff:      12,
		identity.RoleAdmin:      12,
		identity.Role("owner"):  12, // unknown roles get the strict minimum
	}
	if len(identity.Roles())+1 != len(want) {
		t.Fatalf("the test knows %d roles, identity has %d", len(want)-1, len(identity.Roles()))
	}
	for role, n := range want {
		if got := MinLength(role); got != n {
			t.Errorf("MinLength(%q) = %d, want %d", role, got, n)
		}
		if got := PolicyFor(role); got.MinLength != n || got.MaxLength != MaxLength {
			t.Errorf("PolicyFor(%q) = %+v, want min %d max %d", role, got, n, MaxLength)
		}
	}
}

func TestCheck(t *testing.T) {
	patient, staff := PolicyFor(identity.RolePatient), PolicyFor(identity.RoleTherapist)
	person := []string{"Jane Doe-Smith", "jd.walker+care@example.org", "Al Li"}
	tooShort := func(n int) *errs.FieldError {
		return &errs.FieldError{Field: "password", Message: MsgTooShort, Args: []any{n}}
	}
	problem := func(msg string, args ...any) *errs.FieldError {
		return &errs.FieldError{Field: "password", Message: msg, Args: args}
	}
	tests := []struct {
		name     string
		password string
		policy   Policy
		want     *errs.FieldError // nil: accepted
	}{
		{"patient 7", "Zq7#pLm", patient, tooShort(8)},
		{"patient 8", "Zq7#pLmW", patient, nil},
		{"staff 8", "Zq7#pLmW", staff, tooShort(12)},
		{"staff 11", "Zq7#pLmWx2!", staff, tooShort(12)},
		{"staff 12", "Zq7#pLmWx2!v", staff, nil},
		{"runes not bytes: 4 runes, 8 bytes", "ääää", patient, tooShort(8)},
		{"runes not bytes: 8 runes", "äöüßéèêë", patient, nil},
		{"zero policy has the 8 floor", "Zq7#pLm", Policy{}, tooShort(8)},
		{"empty", "", patient, tooShort(8)},
		{"short and common says short", "123456", patient, tooShort(8)},
		{"spaces count and are kept", "        ", patient, nil},
		{"128 runes", strings.Repeat("é", 128), staff, nil},
		{"128 four-byte runes", strings.Repeat("😀", 128), staff, nil},
		{"129 runes", strings.Repeat("é", 129), staff, problem(MsgTooLong, 128)},
		{"policy max above 128 is capped", strings.Repeat("x", 129), Policy{MaxLength: 500}, problem(MsgTooLong, 128)},
		{"lower policy max", "Zq7#pLmWx2!v", Policy{MaxLength: 10}, problem(MsgTooLong, 10)},
		{"common", "password", patient, problem(MsgCommon)},
		{"common upper case", "PASSWORD", patient, problem(MsgCommon)},
		{"common mixed case", "PassWord1234", patient, problem(MsgCommon)},
		{"common for staff", "1Q2W3E4R5T6Y", staff, problem(MsgCommon)},
		{"common with a space is not the same", "password 1234", patient, nil},
		{"first name", "ilovejanesomuch", patient, problem(MsgPersonal)},
		{"last name part, any case", "xx-SMITH-42-xx", patient, problem(MsgPersonal)},
		{"3-letter part", "trustdoe-forever", patient, problem(MsgPersonal)},
		{"whole e-mail local part", "JD.WALKER+CARE!", patient, problem(MsgPersonal)},
		{"e-mail local piece", "walker on the moon", patient, problem(MsgPersonal)},
		{"e-mail domain is allowed", "example of a good one", patient, nil},
		{"parts under 3 letters ignored", "alliance of moons", patient, nil},
		{"context word", "my therapy 2024!", patient, problem(MsgContext)},
		{"context word any case", "AstralPlane#88", patient, problem(MsgContext)},
		{"no context without policy words", "my therapy 2024!", Policy{}, nil},
		{"good passphrase", "correct horse battery staple", staff, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.password, tt.policy, person...)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Check() = %v, want nil", err)
				}
				return
			}
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("Check() = %v, want an Invalid error", err)
			}
			_, _, _, fields := errs.Public(err)
			if diff := cmp.Diff([]errs.FieldError{*tt.want}, fields); diff != "" {
				t.Errorf("field problems (-want +got):\n%s", diff)
			}
			if echo := fmt.Sprint(err.Error(), fields[0].Args); tt.password != "" && strings.Contains(echo, tt.password) {
				t.Error("the error echoes the password")
			}
		})
	}
}

func TestCheckWithoutPersonalData(t *testing.T) {
	if err := Check("jane doe smith 1", PolicyFor(identity.RolePatient)); err != nil {
		t.Errorf("Check without personal data = %v, want nil", err)
	}
	if err := Check("jane doe smith 1", PolicyFor(identity.RolePatient), "", "@", "jo"); err != nil {
		t.Errorf("Check with empty or short personal data = %v, want nil", err)
	}
}
