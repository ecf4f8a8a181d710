package config

import (
	"net/mail"
	"net/netip"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// The ASTRAL_SMTP_TLS modes; they match notify.TLSMode.
const (
	SMTPStartTLS = "starttls" // upgrade with STARTTLS before anything else (default)
	SMTPImplicit = "implicit" // TLS from the first byte, as on port 465
	SMTPNone     = "none"     // plain text: a loopback relay only, never in production
)

// hostnameRE is a DNS name: dot-separated labels of letters, digits and
// inner hyphens.
var hostnameRE = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$`)

// smtp reads the ASTRAL_SMTP_* settings. Without ASTRAL_SMTP_HOST, email
// goes to the development outbox (OutboxDir), which production refuses:
// password resets and invitations need real email. Plain-text SMTP is
// allowed only to a loopback relay, and never with a password, which must
// not cross in clear; production refuses it outright. ASTRAL_SMTP_PASSWORD
// is a Secret, and no message here quotes it.
func (l *loader) smtp(c *Config, prod bool) {
	c.SMTPHost = l.get("ASTRAL_SMTP_HOST")
	c.SMTPTLS = l.enum("ASTRAL_SMTP_TLS", SMTPStartTLS, SMTPStartTLS, SMTPImplicit, SMTPNone)
	c.SMTPUsername = l.get("ASTRAL_SMTP_USERNAME")
	c.SMTPPassword = Secret(l.get("ASTRAL_SMTP_PASSWORD"))
	c.SMTPFrom = l.get("ASTRAL_SMTP_FROM")
	c.SMTPPort = l.smtpPort(c.SMTPTLS)
	if c.SMTPCACert = l.get("ASTRAL_SMTP_CACERT"); c.SMTPCACert != "" {
		if _, err := LoadCAPool(c.SMTPCACert); err != nil {
			l.add("ASTRAL_SMTP_CACERT", "%q %s", c.SMTPCACert, err.Error())
		}
	}
	if c.SMTPFrom != "" {
		if a, err := mail.ParseAddress(c.SMTPFrom); err != nil || strings.ContainsFunc(a.Address, func(r rune) bool { return r > 127 }) {
			l.add("ASTRAL_SMTP_FROM", "%q is not an email address (examples: noreply@care.example.org, Astral Core <noreply@care.example.org>)", c.SMTPFrom)
		}
	}
	switch {
	case c.SMTPUsername != "" && c.SMTPPassword == "":
		l.add("ASTRAL_SMTP_PASSWORD", "is required with ASTRAL_SMTP_USERNAME")
	case c.SMTPUsername == "" && c.SMTPPassword != "":
		l.add("ASTRAL_SMTP_PASSWORD", "is set without ASTRAL_SMTP_USERNAME; set both or neither")
	}

	if c.SMTPHost == "" {
		if prod {
			l.add("ASTRAL_SMTP_HOST", "production needs ASTRAL_SMTP_HOST: password resets and invitations need real email; the outbox is for development")
		}
		return
	}
	if !validHost(c.SMTPHost) {
		l.add("ASTRAL_SMTP_HOST", "%q is not a host name or IP address (no scheme, no port; example: smtp.example.org)", c.SMTPHost)
	}
	if c.SMTPFrom == "" {
		l.add("ASTRAL_SMTP_FROM", "is required with ASTRAL_SMTP_HOST (example: Astral Core <noreply@care.example.org>)")
	}
	if c.SMTPTLS == SMTPNone {
		switch {
		case prod:
			l.add("ASTRAL_SMTP_TLS", "none sends email in plain text; production needs starttls or implicit")
		case !isLoopback(c.SMTPHost):
			l.add("ASTRAL_SMTP_TLS", "none is allowed only to a loopback relay (127.0.0.1, ::1 or localhost), not %q", c.SMTPHost)
		}
		if c.SMTPPassword != "" {
			l.add("ASTRAL_SMTP_PASSWORD", "must not cross the network in plain text; with ASTRAL_SMTP_TLS=none the relay must not need AUTH")
		}
	}
}

// smtpPort reads ASTRAL_SMTP_PORT: 587, or 465 with implicit TLS, when not
// set.
func (l *loader) smtpPort(mode string) int {
	const name = "ASTRAL_SMTP_PORT"
	def := 587
	if mode == SMTPImplicit {
		def = 465
	}
	v := l.get(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		l.add(name, "%q is not a port number from 1 to 65535 (usually 587, or 465 with ASTRAL_SMTP_TLS=implicit)", v)
		return def
	}
	return n
}

// validHost reports whether host is a DNS name or an IP address without a
// zone, with no port, scheme or brackets.
func validHost(host string) bool {
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Zone() == ""
	}
	return len(host) <= 253 && hostnameRE.MatchString(host)
}

// OutboxDir returns the directory of the development email outbox, used
// when SMTPHost is not set: "outbox" under DataDir.
func (c *Config) OutboxDir() string { return filepath.Join(c.DataDir, "outbox") }
