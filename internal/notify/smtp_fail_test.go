package notify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/notify"
	"github.com/astralcore/astral/internal/notify/smtptest"
)

func TestSMTPRefusesToSend(t *testing.T) {
	other := smtptest.NewCert(t) // a CA that did not sign the server's certificate
	tests := []struct {
		name     string
		opts     smtptest.Options
		edit     func(*notify.SMTPConfig)
		wantKind errs.Kind
		wantErr  string // in the error's text
		wantAuth bool   // whether an AUTH reached the server
	}{
		{"no STARTTLS offered", smtptest.Options{NoTLS: true}, func(*notify.SMTPConfig) {}, errs.Unavailable, "does not offer STARTTLS", false},
		{"no STARTTLS but AUTH offered in clear", smtptest.Options{NoTLS: true, AllowInsecureAuth: true, Username: testUser, Password: testPassword},
			func(c *notify.SMTPConfig) { c.Username, c.Password = testUser, testPassword }, errs.Unavailable, "does not offer STARTTLS", false},
		{"wrong CA", smtptest.Options{Username: testUser, Password: testPassword},
			func(c *notify.SMTPConfig) { c.CAFile, c.Username, c.Password = other.CAFile, testUser, testPassword }, errs.Unavailable, "starttls", false},
		{"wrong CA, implicit TLS", smtptest.Options{Implicit: true},
			func(c *notify.SMTPConfig) { c.CAFile, c.TLS = other.CAFile, notify.TLSImplicit }, errs.Unavailable, "connect", false},
		{"wrong password", smtptest.Options{Username: testUser, Password: testPassword},
			func(c *notify.SMTPConfig) { c.Username, c.Password = testUser, "not-it" }, errs.Unavailable, "auth: server replied 535 5.7.8", true},
		{"AUTH not offered", smtptest.Options{},
			func(c *notify.SMTPConfig) { c.Username, c.Password = testUser, testPassword }, errs.Unavailable, "auth: the server does not offer AUTH PLAIN", false},
		{"server wants AUTH, none configured", smtptest.Options{Username: testUser, Password: testPassword},
			func(*notify.SMTPConfig) {}, errs.Unavailable, "mail: server replied 502", false},
		{"recipient refused for good", smtptest.Options{RcptReply: smtptest.Reply{Code: 550, Enhanced: "5.1.1", Text: "<alex@example.org>: no such user"}},
			func(*notify.SMTPConfig) {}, errs.Invalid, "rcpt: server replied 550 5.1.1", false},
		{"recipient deferred", smtptest.Options{RcptReply: smtptest.Reply{Code: 451, Enhanced: "4.7.1", Text: "<alex@example.org> greylisted"}},
			func(*notify.SMTPConfig) {}, errs.Unavailable, "rcpt: server replied 451 4.7.1", false},
		{"content refused", smtptest.Options{DataReply: smtptest.Reply{Code: 554, Enhanced: "5.6.0", Text: "Willkommen rejected"}},
			func(*notify.SMTPConfig) {}, errs.Invalid, "data: server replied 554 5.6.0", false},
		{"content deferred", smtptest.Options{DataReply: smtptest.Reply{Code: 452, Text: "full"}},
			func(*notify.SMTPConfig) {}, errs.Unavailable, "data: server replied 452", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.NewServer(t, tt.opts)
			cfg := smtpConfig(srv)
			tt.edit(&cfg)
			err := newSMTP(t, cfg).Send(context.Background(), welcome())
			if !errs.Is(err, tt.wantKind) {
				t.Fatalf("Send: %v, want kind %s", err, tt.wantKind)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "invitation") {
				t.Errorf("error %q lacks %q or the kind", err, tt.wantErr)
			}
			// Neither the address nor the server's text (which quotes it) nor
			// the subject reaches the error.
			for _, leak := range []string{"alex", "no such user", "greylisted", "Willkommen", testPassword} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error leaks %q: %v", leak, err)
				}
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("server accepted %d messages", n)
			}
			if got := len(srv.Auths()) > 0; got != tt.wantAuth {
				t.Errorf("AUTH reached the server: %v, want %v", got, tt.wantAuth)
			}
			if cfg.Password == testPassword {
				assertNotOnWire(t, srv)
			}
			if strings.Contains(tt.wantErr, "STARTTLS") && bytes.Contains(srv.Wire(), []byte("MAIL FROM")) {
				t.Error("the client sent MAIL FROM without TLS")
			}
		})
	}
}

// TestSMTPGivesUpOnAHangingServer uses a server that accepts connections and
// never says a word.
func TestSMTPGivesUpOnAHangingServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	var conns []net.Conn
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // held open, silent
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-accepted
		for _, c := range conns {
			_ = c.Close()
		}
	})
	addr := ln.Addr().(*net.TCPAddr)

	for _, tt := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		cfg  func(*notify.SMTPConfig)
		want error
	}{
		{"ctx deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 200*time.Millisecond)
		}, func(*notify.SMTPConfig) {}, context.DeadlineExceeded},
		{"configured timeout", func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, func(c *notify.SMTPConfig) { c.Timeout = 200 * time.Millisecond }, context.DeadlineExceeded},
		{"ctx cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			return ctx, cancel
		}, func(*notify.SMTPConfig) {}, context.Canceled},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := notify.SMTPConfig{Host: "127.0.0.1", Port: addr.Port, From: "noreply@praxis.example"}
			tt.cfg(&cfg)
			s := newSMTP(t, cfg)
			ctx, cancel := tt.ctx()
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- s.Send(ctx, welcome()) }()
			select {
			case err := <-done:
				if !errs.Is(err, errs.Unavailable) || !errors.Is(err, tt.want) {
					t.Errorf("Send: %v, want Unavailable wrapping %v", err, tt.want)
				}
			case <-time.After(time.Minute): // a guard against a hang, not a timing assertion
				t.Fatal("Send did not give up")
			}
		})
	}
}

func TestNewSMTPRefuses(t *testing.T) {
	good := notify.SMTPConfig{Host: "smtp.example.org", From: "noreply@praxis.example"}
	tests := []struct {
		name string
		edit func(*notify.SMTPConfig)
	}{
		{"no host", func(c *notify.SMTPConfig) { c.Host = "" }},
		{"host with port", func(c *notify.SMTPConfig) { c.Host = "smtp.example.org:587" }},
		{"host as URL", func(c *notify.SMTPConfig) { c.Host = "smtp://smtp.example.org" }},
		{"host with a line break", func(c *notify.SMTPConfig) { c.Host = "smtp.example.org\r\nRCPT TO:<x@y>" }},
		{"host with zone", func(c *notify.SMTPConfig) { c.Host = "fe80::1%eth0" }},
		{"bad port", func(c *notify.SMTPConfig) { c.Port = 70000 }},
		{"bad mode", func(c *notify.SMTPConfig) { c.TLS = "ssl" }},
		{"plain text to a remote host", func(c *notify.SMTPConfig) { c.TLS = notify.TLSNone }},
		{"plain text with a password", func(c *notify.SMTPConfig) {
			c.Host, c.TLS, c.Username, c.Password = "127.0.0.1", notify.TLSNone, "u", "p"
		}},
		{"username without password", func(c *notify.SMTPConfig) { c.Username = "u" }},
		{"password without username", func(c *notify.SMTPConfig) { c.Password = "p" }},
		{"no from", func(c *notify.SMTPConfig) { c.From = "" }},
		{"bad from", func(c *notify.SMTPConfig) { c.From = "Astral <noreply>" }},
		{"missing CA file", func(c *notify.SMTPConfig) { c.CAFile = "/nonexistent/ca.pem" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			if _, err := notify.NewSMTP(cfg); !errs.Is(err, errs.Invalid) {
				t.Errorf("NewSMTP: %v, want Invalid", err)
			}
		})
	}
	for _, ok := range []notify.SMTPConfig{
		good,
		{Host: "::1", TLS: notify.TLSNone, From: "a@b.example"},
		{Host: "localhost", TLS: notify.TLSNone, From: "a@b.example"},
		{Host: "smtp.example.org", TLS: notify.TLSImplicit, Username: "u", Password: "p", From: "A <a@b.example>"},
	} {
		if _, err := notify.NewSMTP(ok); err != nil {
			t.Errorf("NewSMTP(%v): %v", ok, err)
		}
	}
}

func TestSMTPConfigHidesThePassword(t *testing.T) {
	cfg := notify.SMTPConfig{Host: "smtp.example.org", Username: "u", Password: testPassword, From: "a@b.example"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		if s := fmt.Sprintf(verb, cfg); strings.Contains(s, testPassword) || strings.Contains(s, "canary") {
			t.Errorf("%s prints the password: %s", verb, s)
		}
		if s := fmt.Sprintf(verb, &cfg); strings.Contains(s, "canary") {
			t.Errorf("%s of a pointer prints the password: %s", verb, s)
		}
	}
	if v := cfg.LogValue().String(); strings.Contains(v, "canary") || !strings.Contains(v, "[redacted]") {
		t.Errorf("LogValue = %s", v)
	}
}
