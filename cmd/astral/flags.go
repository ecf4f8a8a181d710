package main

import (
	"errors"
	"flag"
)

// newFlagSet returns a flag set that reports errors to run's caller instead
// of exiting, and prints usage to stderr.
func newFlagSet(name string, env *environment) *flag.FlagSet {
	fs := flag.NewFlagSet("astral "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	return fs
}

// flagError maps flag parsing errors to exit statuses: -h is success, the
// rest is bad usage (the flag package has already printed why).
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return &exitError{code: 0}
	}
	return &exitError{code: 2}
}
