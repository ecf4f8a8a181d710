package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

// buildVersion returns the version: the linker-set one, else the module
// version or VCS revision recorded by the Go toolchain, else "dev".
func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}

func versionCmd(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet("version", env)
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	_, err := fmt.Fprintf(env.stdout, "astral %s (%s, %s/%s)\n", buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
