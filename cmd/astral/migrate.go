package main

import (
	"context"
	"fmt"
)

// migrateCmd implements `astral migrate`: apply pending migrations and exit.
// Safe to run while other instances serve: on PostgreSQL migrations take an
// advisory lock.
func migrateCmd(ctx context.Context, env *environment, args []string) error {
	a, err := startApp(ctx, env, "migrate", args)
	if err != nil {
		return err
	}
	defer a.Close()
	cfg := a.cfg
	applied, err := a.migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		_, err = fmt.Fprintf(env.stdout, "The %s database is up to date.\n", cfg.Driver())
		return err
	}
	for _, m := range applied {
		fmt.Fprintf(env.stdout, "applied %s\n", m)
	}
	_, err = fmt.Fprintf(env.stdout, "Applied %d migration(s) to the %s database.\n", len(applied), cfg.Driver())
	return err
}
