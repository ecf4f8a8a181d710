package config

import "flag"

// flagVars maps each command-line flag AddFlags registers to the environment
// variable it overrides, with its usage text.
var flagVars = []struct{ flag, env, usage string }{
	{"addr", "ASTRAL_ADDR", "public listen address, host:port (default 127.0.0.1:8080)"},
	{"admin-addr", "ASTRAL_ADMIN_ADDR", `admin listen address, host:port or "off" (default 127.0.0.1:9090)`},
	{"data-dir", "ASTRAL_DATA_DIR", "directory for the SQLite file, development keys and outbox (default ./data)"},
	{"database-url", "ASTRAL_DATABASE_URL", "postgres:// URL or sqlite:PATH (default sqlite in the data dir); prefer the env var, as other users can see command lines"},
	{"env", "ASTRAL_ENV", "development, production or test (default development)"},
	{"log-level", "ASTRAL_LOG_LEVEL", "debug, info, warn or error (default info)"},
	{"public-url", "ASTRAL_PUBLIC_URL", "absolute URL users reach the server at (default http:// plus the listen address)"},
}

// AddFlags registers --addr, --admin-addr, --data-dir, --database-url, --env,
// --log-level and --public-url on fs and returns a getenv for Load.
//
// The returned function yields a flag's value when that flag was set on the
// command line, and getenv(name) otherwise. It looks at fs each time it is
// called, so call it (through Load) only after fs.Parse. A flag set to the
// empty string counts as set, and so means "not set" to Load, which uses the
// default: the command line wins over the environment.
func AddFlags(fs *flag.FlagSet, getenv func(string) string) func(string) string {
	flagByEnv := make(map[string]string, len(flagVars))
	for _, f := range flagVars {
		fs.String(f.flag, "", f.usage+"; env "+f.env)
		flagByEnv[f.env] = f.flag
	}
	return func(name string) string {
		want, ok := flagByEnv[name]
		if !ok {
			return getenv(name)
		}
		value, set := "", false
		fs.Visit(func(f *flag.Flag) {
			if f.Name == want {
				value, set = f.Value.String(), true
			}
		})
		if set {
			return value
		}
		return getenv(name)
	}
}
