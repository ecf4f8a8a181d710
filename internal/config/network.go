package config

import (
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// listeners reads ASTRAL_ADDR, ASTRAL_ADMIN_ADDR and ASTRAL_ADMIN_ALLOW_REMOTE.
// The admin listener stays on loopback by default because it reports the
// server's internals; it must not share the public listener's port.
func (l *loader) listeners(c *Config) {
	c.Addr = l.hostPort("ASTRAL_ADDR", "127.0.0.1:8080")
	c.AdminAllowRemote = l.boolean("ASTRAL_ADMIN_ALLOW_REMOTE")
	if strings.EqualFold(l.get("ASTRAL_ADMIN_ADDR"), "off") {
		return
	}
	c.AdminAddr = l.hostPort("ASTRAL_ADMIN_ADDR", "127.0.0.1:9090")
	if c.AdminAddr == "" {
		return
	}
	host, port, _ := net.SplitHostPort(c.AdminAddr)
	if !c.AdminAllowRemote && !isLoopback(host) {
		l.add("ASTRAL_ADMIN_ADDR", "%q is not a loopback address (use 127.0.0.1:PORT, set ASTRAL_ADMIN_ALLOW_REMOTE=true, or \"off\")", c.AdminAddr)
	}
	if c.Addr == "" {
		return
	}
	pubHost, pubPort, _ := net.SplitHostPort(c.Addr)
	// Port 0 asks the kernel for a free port, so two :0 listeners never clash.
	if port == pubPort && port != "0" && (strings.EqualFold(host, pubHost) || isWildcard(host) || isWildcard(pubHost)) {
		l.add("ASTRAL_ADMIN_ADDR", "%q conflicts with ASTRAL_ADDR %q; the admin listener needs its own port", c.AdminAddr, c.Addr)
	}
}

// hostPort reads a listen address. It returns "" after recording a problem so
// that checks depending on it are skipped instead of piling up.
func (l *loader) hostPort(name, def string) string {
	v := l.str(name, def)
	host, port, err := net.SplitHostPort(v)
	if err != nil || strings.ContainsAny(host, " /") {
		l.add(name, "%q is not host:port (example: 127.0.0.1:8080)", v)
		return ""
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		l.add(name, "%q has port %q; want a number from 0 to 65535", v, port)
		return ""
	}
	return v
}

// publicURL reads ASTRAL_PUBLIC_URL, defaulting to http:// plus addr. A
// wildcard listen host becomes localhost, since no browser can visit 0.0.0.0.
func (l *loader) publicURL(addr string, prod bool) *url.URL {
	const name = "ASTRAL_PUBLIC_URL"
	raw := l.get(name)
	if raw == "" {
		if addr == "" {
			return nil // ASTRAL_ADDR already has a problem
		}
		host, port, _ := net.SplitHostPort(addr)
		if isWildcard(host) {
			host = "localhost"
		}
		raw = "http://" + net.JoinHostPort(host, port)
	}
	u, msg := webURL(raw, "https://care.example.org")
	if msg != "" {
		l.add(name, "%s", msg)
		return nil
	}
	if prod && u.Scheme != "https" {
		l.add(name, "%q uses plain http; production needs https:// (terminate TLS at a proxy if you like)", u)
		return nil
	}
	return u
}

// webURL parses an absolute http(s) URL without credentials, query or
// fragment, and drops a trailing slash from its path so callers can append
// paths. It returns a problem message instead of an error; the message quotes
// raw unless raw might carry credentials.
func webURL(raw, example string) (*url.URL, string) {
	shown := strconv.Quote(raw)
	if strings.Contains(raw, "@") {
		shown = "the URL"
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs():
		return nil, shown + " is not an absolute URL (example: " + example + ")"
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, shown + " must start with https:// or http://"
	case u.User != nil:
		return nil, "the URL must not contain a user name or password"
	case u.Hostname() == "":
		return nil, shown + " has no host (example: " + example + ")"
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, shown + " must not have a query or fragment"
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, ""
}

// isLoopback reports whether host names only this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// isWildcard reports whether a listen host means every interface.
func isWildcard(host string) bool {
	if host == "" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsUnspecified()
}
