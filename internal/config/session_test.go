package config

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSessionDefaultsAndValues(t *testing.T) {
	c := mustLoad(t, map[string]string{})
	want := Session{IdleStaff: 15 * time.Minute, IdlePatient: 30 * time.Minute, Absolute: 12 * time.Hour, Remember: 720 * time.Hour}
	if diff := cmp.Diff(want, c.Session); diff != "" {
		t.Errorf("default Session (-want +got):\n%s", diff)
	}

	c = mustLoad(t, map[string]string{
		"ASTRAL_SESSION_IDLE_STAFF":   "10m",
		"ASTRAL_SESSION_IDLE_PATIENT": " 45m ",
		"ASTRAL_SESSION_ABSOLUTE":     "8h",
		"ASTRAL_SESSION_REMEMBER":     "168h",
	})
	want = Session{IdleStaff: 10 * time.Minute, IdlePatient: 45 * time.Minute, Absolute: 8 * time.Hour, Remember: 7 * 24 * time.Hour}
	if diff := cmp.Diff(want, c.Session); diff != "" {
		t.Errorf("Session (-want +got):\n%s", diff)
	}
	i := slices.IndexFunc(c.Settings(), func(s Setting) bool { return s.Var == "ASTRAL_SESSION_REMEMBER" })
	if i < 0 || c.Settings()[i].Value != "168h0m0s" {
		t.Errorf("Settings lack ASTRAL_SESSION_REMEMBER=168h0m0s")
	}
}

func TestSessionProblems(t *testing.T) {
	// Every bad value is reported, all at once.
	ps := problemsOf(t, map[string]string{
		"ASTRAL_SESSION_IDLE_STAFF":   "31m",
		"ASTRAL_SESSION_IDLE_PATIENT": "thirty minutes",
		"ASTRAL_SESSION_ABSOLUTE":     "30m",
		"ASTRAL_SESSION_REMEMBER":     "721h",
	})
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	want := []string{
		"ASTRAL_SESSION_ABSOLUTE: 30m0s is outside the allowed range 1h0m0s to 12h0m0s",
		`ASTRAL_SESSION_IDLE_PATIENT: "thirty minutes" is not a duration (examples: 30s, 2m)`,
		"ASTRAL_SESSION_IDLE_STAFF: 31m0s is outside the allowed range 1m0s to 30m0s",
		"ASTRAL_SESSION_REMEMBER: 721h0m0s is outside the allowed range 1h0m0s to 720h0m0s",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}

	tests := map[string]string{
		"ASTRAL_SESSION_IDLE_STAFF":   "59s",
		"ASTRAL_SESSION_IDLE_PATIENT": "61m",
		"ASTRAL_SESSION_ABSOLUTE":     "13h",
		"ASTRAL_SESSION_REMEMBER":     "-1h",
	}
	for name, v := range tests {
		ps := problemsOf(t, map[string]string{name: v})
		if len(ps) != 1 || ps[0].Var != name || !strings.Contains(ps[0].Msg, "outside the allowed range") {
			t.Errorf("%s=%s: problems = %v, want one range problem", name, v, ps)
		}
	}
}
