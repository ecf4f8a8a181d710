// Command astral runs Astral Core: the web server, API and background jobs,
// and the tools that look after them (migrations, configuration checks).
//
// Run `astral help` for the subcommands.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/astralcore/astral/internal/logging"
)

func main() {
	redis.SetLogger(redisLogger{log: logging.New(os.Stderr, slog.LevelWarn)})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ex *exitError
		if errors.As(err, &ex) {
			if ex.msg != "" {
				fmt.Fprintln(os.Stderr, ex.msg)
			}
			os.Exit(ex.code)
		}
		fmt.Fprintln(os.Stderr, "astral:", err)
		os.Exit(1)
	}
}

// redisLogger sends go-redis's internal messages (dial failures, pool
// warnings) to the structured log instead of its default stderr printer.
// The library offers only a process-wide hook, so main sets it once.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis", "detail", fmt.Sprintf(format, v...))
}
