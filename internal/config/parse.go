package config

import (
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// loader reads variables and collects problems, so that Load can carry on
// after a bad value and report everything at once. Each reader returns a safe
// default after recording a problem; Load discards the Config in that case.
type loader struct {
	getenv   func(string) string
	problems Problems
}

// get returns the trimmed value of name; "" means not set.
func (l *loader) get(name string) string { return strings.TrimSpace(l.getenv(name)) }

// add records a problem with name. Callers must not pass a secret's value.
func (l *loader) add(name, format string, args ...any) {
	l.problems = append(l.problems, Problem{Var: name, Msg: fmt.Sprintf(format, args...)})
}

// str returns the value of name, or def when it is not set.
func (l *loader) str(name, def string) string {
	if v := l.get(name); v != "" {
		return v
	}
	return def
}

// enum returns the value of name folded to lower case if it is one of allowed,
// def when it is not set, and records a problem naming the allowed values
// otherwise.
func (l *loader) enum(name, def string, allowed ...string) string {
	v := strings.ToLower(l.get(name))
	if v == "" {
		return def
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	l.add(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
	return def
}

// boolean parses name with strconv.ParseBool; not set means false.
func (l *loader) boolean(name string) bool {
	v := l.get(name)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		l.add(name, "%q is not true or false", v)
	}
	return b
}

// logLevel reads ASTRAL_LOG_LEVEL.
func (l *loader) logLevel() slog.Level {
	levels := map[string]slog.Level{
		"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
	}
	return levels[l.enum("ASTRAL_LOG_LEVEL", "info", "debug", "info", "warn", "error")]
}

// int64Range reads a whole number of bytes in [lo, hi], def when not set.
func (l *loader) int64Range(name string, def, lo, hi int64) int64 {
	v := l.get(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		l.add(name, "%q is not a whole number of bytes (example: %d)", v, def)
		return def
	}
	if n < lo || n > hi {
		l.add(name, "%d is outside the allowed range %d (1 KiB) to %d (1 GiB)", n, lo, hi)
		return def
	}
	return n
}

// durationRange reads a Go duration in [lo, hi], def when not set.
func (l *loader) durationRange(name string, def, lo, hi time.Duration) time.Duration {
	v := l.get(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		l.add(name, "%q is not a duration (examples: 30s, 2m)", v)
		return def
	}
	if d < lo || d > hi {
		l.add(name, "%s is outside the allowed range %s to %s", d, lo, hi)
		return def
	}
	return d
}

// prefixes reads a comma-separated list of CIDRs and bare IPs (a bare IP is a
// one-address prefix). A CIDR with host bits set is refused rather than
// masked, because it usually means a typo in a security setting. Production
// refuses a zero-length prefix: trusting X-Forwarded-For from everyone lets
// any client forge the IP address the audit log records.
func (l *loader) prefixes(name string, prod bool) []netip.Prefix {
	var out []netip.Prefix
	for part := range strings.SplitSeq(l.get(name), ",") {
		s := strings.TrimSpace(part)
		if s == "" {
			continue
		}
		var p netip.Prefix
		if strings.Contains(s, "/") {
			var err error
			if p, err = netip.ParsePrefix(s); err != nil {
				l.add(name, "%q is not a CIDR (example: 10.0.0.0/8)", s)
				continue
			}
			if p != p.Masked() {
				l.add(name, "%q has host bits set; did you mean %s?", s, p.Masked())
				continue
			}
		} else {
			a, err := netip.ParseAddr(s)
			if err != nil || a.Zone() != "" {
				l.add(name, "%q is not an IP address or CIDR (example: 10.0.0.0/8)", s)
				continue
			}
			a = a.Unmap()
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if prod && p.Bits() == 0 {
			l.add(name, "%q trusts X-Forwarded-For from every client; production needs the proxies' own addresses", s)
			continue
		}
		out = append(out, p)
	}
	return out
}
