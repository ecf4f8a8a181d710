package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// writeCACert writes a self-signed certificate as PEM and returns its path.
func writeCACert(tb testing.TB) string {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<32, 0), IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// smtpView is the SMTP part of a Config.
type smtpView struct {
	Host, TLS, Username, Password, From, CACert string
	Port                                        int
}

func smtpOf(c *Config) smtpView {
	return smtpView{c.SMTPHost, c.SMTPTLS, c.SMTPUsername, c.SMTPPassword.Reveal(), c.SMTPFrom, c.SMTPCACert, c.SMTPPort}
}

func TestSMTPValues(t *testing.T) {
	ca := writeCACert(t)
	tests := []struct {
		name string
		env  map[string]string
		want smtpView
	}{
		{"not set: the outbox", nil, smtpView{TLS: "starttls", Port: 587}},
		{"starttls with auth", map[string]string{
			"ASTRAL_SMTP_HOST": "smtp.example.org", "ASTRAL_SMTP_USERNAME": "astral", "ASTRAL_SMTP_PASSWORD": "pw",
			"ASTRAL_SMTP_FROM": "Astral Core <noreply@care.example.org>", "ASTRAL_SMTP_CACERT": ca,
		}, smtpView{"smtp.example.org", "starttls", "astral", "pw", "Astral Core <noreply@care.example.org>", ca, 587}},
		{"implicit defaults to 465", map[string]string{
			"ASTRAL_SMTP_HOST": "10.0.0.5", "ASTRAL_SMTP_TLS": "IMPLICIT", "ASTRAL_SMTP_FROM": "noreply@care.example.org",
		}, smtpView{Host: "10.0.0.5", TLS: "implicit", From: "noreply@care.example.org", Port: 465}},
		{"explicit port", map[string]string{
			"ASTRAL_SMTP_HOST": "smtp.example.org", "ASTRAL_SMTP_PORT": "2525", "ASTRAL_SMTP_FROM": "a@care.example.org",
		}, smtpView{Host: "smtp.example.org", TLS: "starttls", From: "a@care.example.org", Port: 2525}},
		{"plain text to a loopback relay", map[string]string{
			"ASTRAL_SMTP_HOST": "localhost", "ASTRAL_SMTP_TLS": "none", "ASTRAL_SMTP_PORT": "25", "ASTRAL_SMTP_FROM": "a@care.example.org",
		}, smtpView{Host: "localhost", TLS: "none", From: "a@care.example.org", Port: 25}},
		{"plain text to IPv6 loopback", map[string]string{
			"ASTRAL_SMTP_HOST": "::1", "ASTRAL_SMTP_TLS": "none", "ASTRAL_SMTP_FROM": "a@care.example.org",
		}, smtpView{Host: "::1", TLS: "none", From: "a@care.example.org", Port: 587}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.env)
			if diff := cmp.Diff(tt.want, smtpOf(c)); diff != "" {
				t.Errorf("SMTP settings (-want +got):\n%s", diff)
			}
		})
	}
	c := mustLoad(t, map[string]string{"ASTRAL_DATA_DIR": "/srv/astral"})
	if c.OutboxDir() != filepath.Join("/srv/astral", "outbox") {
		t.Errorf("OutboxDir() = %q", c.OutboxDir())
	}
}

func TestSMTPProblems(t *testing.T) {
	remote := map[string]string{"ASTRAL_SMTP_HOST": "smtp.example.org", "ASTRAL_SMTP_FROM": "a@care.example.org"}
	dir := t.TempDir()
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
		wantMsg string
	}{
		{"host with port", with(remote, "ASTRAL_SMTP_HOST", "smtp.example.org:587"), "ASTRAL_SMTP_HOST", "is not a host name"},
		{"host as URL", with(remote, "ASTRAL_SMTP_HOST", "smtps://smtp.example.org"), "ASTRAL_SMTP_HOST", "is not a host name"},
		{"host with zone", with(remote, "ASTRAL_SMTP_HOST", "fe80::1%eth0"), "ASTRAL_SMTP_HOST", "is not a host name"},
		{"no from", with(remote, "ASTRAL_SMTP_FROM", ""), "ASTRAL_SMTP_FROM", "is required with ASTRAL_SMTP_HOST"},
		{"bad from", with(remote, "ASTRAL_SMTP_FROM", "Astral <noreply>"), "ASTRAL_SMTP_FROM", "is not an email address"},
		{"non-ASCII from", with(remote, "ASTRAL_SMTP_FROM", "noreply@bücher.example"), "ASTRAL_SMTP_FROM", "is not an email address"},
		{"bad mode", with(remote, "ASTRAL_SMTP_TLS", "ssl"), "ASTRAL_SMTP_TLS", "is not one of starttls, implicit, none"},
		{"port zero", with(remote, "ASTRAL_SMTP_PORT", "0"), "ASTRAL_SMTP_PORT", "not a port number"},
		{"port text", with(remote, "ASTRAL_SMTP_PORT", "smtp"), "ASTRAL_SMTP_PORT", "not a port number"},
		{"username alone", with(remote, "ASTRAL_SMTP_USERNAME", "astral"), "ASTRAL_SMTP_PASSWORD", "is required with ASTRAL_SMTP_USERNAME"},
		{"password alone", with(remote, "ASTRAL_SMTP_PASSWORD", "pw"), "ASTRAL_SMTP_PASSWORD", "set both or neither"},
		{"plain text to a remote relay", with(remote, "ASTRAL_SMTP_TLS", "none"), "ASTRAL_SMTP_TLS", "only to a loopback relay"},
		{"plain text with a password", with(remote, "ASTRAL_SMTP_HOST", "127.0.0.1", "ASTRAL_SMTP_TLS", "none",
			"ASTRAL_SMTP_USERNAME", "astral", "ASTRAL_SMTP_PASSWORD", "pw"), "ASTRAL_SMTP_PASSWORD", "must not cross the network in plain text"},
		{"missing CA file", with(remote, "ASTRAL_SMTP_CACERT", filepath.Join(dir, "missing.pem")), "ASTRAL_SMTP_CACERT", "cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problemsOf(t, tt.env)
			if len(ps) != 1 || ps[0].Var != tt.wantVar || !strings.Contains(ps[0].Msg, tt.wantMsg) {
				t.Errorf("problems = %v\nwant exactly one for %s containing %q", ps, tt.wantVar, tt.wantMsg)
			}
		})
	}
}

func TestSMTPProductionRefusals(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
		wantMsg string
	}{
		{"no host: the outbox", with(goodProduction, "ASTRAL_SMTP_HOST", ""), "ASTRAL_SMTP_HOST", "production needs ASTRAL_SMTP_HOST"},
		{"plain text even to loopback", with(goodProduction, "ASTRAL_SMTP_HOST", "127.0.0.1", "ASTRAL_SMTP_TLS", "none",
			"ASTRAL_SMTP_USERNAME", "", "ASTRAL_SMTP_PASSWORD", ""), "ASTRAL_SMTP_TLS", "production needs starttls or implicit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problemsOf(t, tt.env)
			if len(ps) != 1 || ps[0].Var != tt.wantVar || !strings.Contains(ps[0].Msg, tt.wantMsg) {
				t.Errorf("problems = %v\nwant exactly one for %s containing %q", ps, tt.wantVar, tt.wantMsg)
			}
			if _, err := Load(env(with(tt.env, "ASTRAL_ENV", "development"))); err != nil {
				t.Errorf("in development: %v", err)
			}
		})
	}
	mustLoad(t, with(goodProduction, "ASTRAL_SMTP_TLS", "implicit", "ASTRAL_SMTP_PORT", "465"))
}

func TestSMTPSettingsHideThePassword(t *testing.T) {
	c := mustLoad(t, map[string]string{
		"ASTRAL_SMTP_HOST": "smtp.example.org", "ASTRAL_SMTP_USERNAME": "astral",
		"ASTRAL_SMTP_PASSWORD": canary, "ASTRAL_SMTP_FROM": "a@care.example.org",
	})
	got := map[string]Setting{}
	for _, s := range c.Settings() {
		got[s.Var] = s
	}
	if s := got["ASTRAL_SMTP_PASSWORD"]; !s.Secret || s.Value != "[set]" {
		t.Errorf("ASTRAL_SMTP_PASSWORD shows %+v", s)
	}
	for v, want := range map[string]string{"ASTRAL_SMTP_HOST": "smtp.example.org", "ASTRAL_SMTP_PORT": "587", "ASTRAL_SMTP_TLS": "starttls"} {
		if got[v].Value != want {
			t.Errorf("%s shows %q, want %q", v, got[v].Value, want)
		}
	}
	if s := mustLoad(t, nil).Settings(); !strings.Contains(settingValue(s, "ASTRAL_SMTP_HOST"), "outbox") {
		t.Errorf("an unset ASTRAL_SMTP_HOST does not say email goes to the outbox: %q", settingValue(s, "ASTRAL_SMTP_HOST"))
	}
}

func settingValue(ss []Setting, name string) string {
	for _, s := range ss {
		if s.Var == name {
			return s.Value
		}
	}
	return ""
}
