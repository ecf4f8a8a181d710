package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with the configuration: the variable at fault and
// what to do about it. Msg never contains the value of a Secret variable.
type Problem struct {
	Var string // the environment variable, e.g. "ASTRAL_ADDR"
	Msg string // a specific, actionable sentence fragment
}

// String returns "VAR: msg".
func (p Problem) String() string { return p.Var + ": " + p.Msg }

// Problems is every problem Load found. It is the error Load returns, as
// *Problems, when validation fails.
type Problems []Problem

// Error lists the problems one per line, sorted by Var and then Msg:
//
//	configuration has 2 problems:
//	  ASTRAL_ADDR: ...
//	  ASTRAL_ENV: ...
func (ps Problems) Error() string {
	sorted := slices.Clone(ps)
	sorted.sort()
	noun := "problems"
	if len(sorted) == 1 {
		noun = "problem"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "configuration has %d %s:", len(sorted), noun)
	for _, p := range sorted {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

func (ps Problems) sort() {
	slices.SortFunc(ps, func(a, b Problem) int {
		return cmp.Or(strings.Compare(a.Var, b.Var), strings.Compare(a.Msg, b.Msg))
	})
}
