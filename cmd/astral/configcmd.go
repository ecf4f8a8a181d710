package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
)

// configCmd implements `astral config check`: it validates the
// configuration, lists every problem at once (status 2), and otherwise prints
// the effective settings with secrets shown only as set or not set.
func configCmd(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] != "check" {
		return usageError("config: the only subcommand is 'check'")
	}
	cfg, err := loadConfig(env, "config check", args[1:])
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Configuration is valid (%s).\n\n", cfg.Env)
	for _, s := range cfg.Settings() {
		fmt.Fprintf(tw, "%s\t%s\n", s.Var, strings.ReplaceAll(s.Value, "\n", " "))
	}
	return tw.Flush()
}
