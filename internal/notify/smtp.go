package notify

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/astralcore/astral/internal/errs"
)

// TLSMode says how SMTP protects the connection to the relay.
type TLSMode string

// The TLS modes. The zero value means TLSStartTLS.
const (
	// TLSStartTLS connects in plain text and upgrades with STARTTLS before
	// anything else; a relay that does not offer STARTTLS gets nothing.
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (SMTPS, port 465).
	TLSImplicit TLSMode = "implicit"
	// TLSNone sends in plain text. NewSMTP allows it only to a loopback
	// host, such as a local relay that does its own TLS onwards, and never
	// with a password.
	TLSNone TLSMode = "none"
)

// defaultTimeout bounds one Send when ctx has no earlier deadline.
const defaultTimeout = time.Minute

// SMTPConfig configures an SMTP sender. It prints and logs with the password
// hidden (see Format and LogValue).
type SMTPConfig struct {
	Host     string  // the relay's host name or IP address; also the name its certificate must have
	Port     int     // 0 means 587, or 465 with TLSImplicit
	TLS      TLSMode // "" means TLSStartTLS
	Username string  // "" means no AUTH; otherwise AUTH PLAIN, only ever after TLS
	Password string  // pass config.Secret.Reveal() here and nowhere else
	From     string  // "addr@example.org" or "Name <addr@example.org>"
	// CAFile is a PEM file of the certificate authorities to trust instead of
	// the system's, for a relay with a private CA. Verification is never
	// turned off.
	CAFile string
	// HelloName is the name sent in EHLO; "" means "localhost".
	HelloName string
	// Timeout bounds each Send, on top of ctx's deadline; 0 means a minute.
	Timeout time.Duration
	// Now dates the messages; nil means time.Now.
	Now func() time.Time
	// Logger gets one line per message: its id, Kind and outcome, never the
	// address, subject or body. nil means no logging.
	Logger *slog.Logger
}

// Format prints c with the password replaced, for every verb.
func (c SMTPConfig) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "{Host:%s Port:%d TLS:%s Username:%s Password:%s From:%s CAFile:%s}",
		c.Host, c.Port, c.TLS, c.Username, secretShown(c.Password), c.From, c.CAFile)
}

// LogValue logs c with the password replaced.
func (c SMTPConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("host", c.Host), slog.Int("port", c.Port), slog.String("tls", string(c.TLS)),
		slog.String("username", c.Username), slog.String("password", secretShown(c.Password)), slog.String("from", c.From))
}

func secretShown(s string) string {
	if s == "" {
		return "[not set]"
	}
	return "[redacted]"
}

// SMTP is the Sender that delivers through an SMTP relay. Each Send opens
// its own connection, so an SMTP is safe for concurrent use.
type SMTP struct {
	addr     string // host:port
	host     string
	mode     TLSMode
	tls      *tls.Config
	username string
	password string
	from     *mail.Address
	hello    string
	timeout  time.Duration
	now      func() time.Time
	log      *slog.Logger
}

// NewSMTP checks cfg and returns an SMTP sender. It does not connect. It
// refuses (Invalid) a missing host, a bad port, TLS mode or From address,
// TLSNone to a host that is not loopback or with a username, a username
// without a password or the reverse, and a CAFile that cannot be read or
// holds no certificate.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	const op = "notify.NewSMTP"
	bad := func(format string, args ...any) error {
		return errs.Wrap(fmt.Errorf(format, args...), errs.Invalid, op)
	}
	host := cfg.Host
	if !validHost(host) {
		return nil, bad("host %q is not a host name or IP address", host)
	}
	mode := cfg.TLS
	if mode == "" {
		mode = TLSStartTLS
	}
	port := cfg.Port
	switch {
	case mode != TLSStartTLS && mode != TLSImplicit && mode != TLSNone:
		return nil, bad("TLS mode %q is not starttls, implicit or none", mode)
	case mode == TLSNone && !isLoopback(host):
		return nil, bad("TLS mode none is allowed only to a loopback host")
	case mode == TLSNone && cfg.Username != "":
		return nil, bad("TLS mode none cannot carry a password; AUTH needs TLS")
	case (cfg.Username == "") != (cfg.Password == ""):
		return nil, bad("username and password must be set together")
	case port == 0 && mode == TLSImplicit:
		port = 465
	case port == 0:
		port = 587
	case port < 0 || port > 65535:
		return nil, bad("port %d is out of range", port)
	}
	from, err := parseAddress(cfg.From)
	if err != nil {
		return nil, bad("from: %w", err)
	}
	tc := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, bad("CA file: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, bad("CA file %s holds no PEM certificate", cfg.CAFile)
		}
	}
	s := &SMTP{
		addr: net.JoinHostPort(host, strconv.Itoa(port)), host: host, mode: mode, tls: tc,
		username: cfg.Username, password: cfg.Password, from: from,
		hello: cfg.HelloName, timeout: cfg.Timeout, now: cfg.Now, log: cfg.Logger,
	}
	if s.hello == "" {
		s.hello = "localhost"
	}
	if s.timeout <= 0 {
		s.timeout = defaultTimeout
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// hostnameRE is a DNS name: dot-separated labels of letters, digits and
// inner hyphens.
var hostnameRE = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$`)

// validHost reports whether host is a DNS name or an IP address without a
// zone: no port, scheme, brackets or spaces.
func validHost(host string) bool {
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Zone() == ""
	}
	return len(host) <= 253 && hostnameRE.MatchString(host)
}

// isLoopback reports whether host names only this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

var errNoSTARTTLS = errors.New("the server does not offer STARTTLS; refusing to send in plain text")
