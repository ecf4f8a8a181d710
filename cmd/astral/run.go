package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/astralcore/astral/internal/config"
)

// exitError carries an exit status, and a message for stderr, out of run.
// Status 2 means bad usage or configuration; 1 a failure while running.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return fmt.Sprintf("exit %d: %s", e.code, e.msg) }

// usageError reports bad usage with status 2.
func usageError(format string, args ...any) error {
	return &exitError{code: 2, msg: "astral: " + fmt.Sprintf(format, args...) + "\nRun 'astral help' for usage."}
}

// command is one subcommand. run receives the arguments after its name.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *environment, args []string) error
}

// environment is what a subcommand may touch: no globals, so tests can run
// many commands in one process.
type environment struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

func commands() []command {
	return []command{
		{"serve", "run the web server, API and background jobs", serveCmd},
		{"migrate", "apply database migrations and exit", migrateCmd},
		{"audit", "check the tamper-evident audit log: 'astral audit verify [--org ID]'", auditCmd},
		{"keys", "encryption keys: status, rotate, rewrap, retire VERSION (see docs/keys.md)", keysCmd},
		{"config", "check the configuration: 'astral config check' lists every problem", configCmd},
		{"version", "print the version", versionCmd},
		{"help", "show this help", nil},
	}
}

// run is the whole program, minus process concerns: main gives it a
// signal-aware context, the arguments, the environment and the output
// streams. Tests call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	env := &environment{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) < 2 {
		printUsage(stderr)
		return &exitError{code: 2}
	}
	name := args[1]
	switch name {
	case "help", "-h", "-help", "--help":
		printUsage(stdout)
		return nil
	case "-version", "--version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name == name && c.run != nil {
			return c.run(ctx, env, args[2:])
		}
	}
	return usageError("unknown command %q", name)
}

func printUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString("astral: Astral Core, self-hostable mental-health care\n\n")
	b.WriteString("Usage:\n  astral <command> [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	b.WriteString("\nConfiguration comes from ASTRAL_* environment variables; 'astral serve -h'\n")
	b.WriteString("lists the flags that override the common ones. See README.md.\n")
	_, _ = io.WriteString(w, b.String())
}

// loadConfig parses flags for a subcommand and loads the configuration.
// Every configuration problem is reported at once, with status 2.
func loadConfig(env *environment, name string, args []string) (*config.Config, error) {
	fs := newFlagSet(name, env)
	lookup := config.AddFlags(fs, env.getenv)
	if err := fs.Parse(args); err != nil {
		return nil, flagError(err)
	}
	if fs.NArg() > 0 {
		return nil, usageError("%s: unexpected argument %q", name, fs.Arg(0))
	}
	cfg, err := config.Load(lookup)
	if err != nil {
		var ps *config.Problems
		if errors.As(err, &ps) {
			return nil, &exitError{code: 2, msg: err.Error()}
		}
		return nil, err
	}
	return cfg, nil
}
