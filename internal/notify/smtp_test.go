package notify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"

	"github.com/astralcore/astral/internal/notify"
	"github.com/astralcore/astral/internal/notify/smtptest"
	"github.com/astralcore/astral/internal/phi"
)

const (
	testUser     = "relay-user"
	testPassword = "pw-canary-7f3a"
)

// smtpConfig is a client configuration for srv.
func smtpConfig(srv *smtptest.Server) notify.SMTPConfig {
	return notify.SMTPConfig{
		Host:   srv.Host,
		Port:   srv.Port,
		From:   "Astral Praxis <noreply@praxis.example>",
		CAFile: srv.CAFile,
		Now:    fakeClock(t0),
	}
}

func newSMTP(t *testing.T, cfg notify.SMTPConfig) *notify.SMTP {
	t.Helper()
	s, err := notify.NewSMTP(cfg)
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	return s
}

func welcome() notify.Message {
	return notify.Message{
		To:      phi.NewText("Alex Doe <alex@example.org>"),
		Subject: "Willkommen in der Praxis Müller",
		Text:    "Hello Alex,\nplease set your password.",
		HTML:    "<p>Hello Alex,</p>",
		Kind:    "invitation",
	}
}

func TestSMTPDeliversOverSTARTTLSWithAuth(t *testing.T) {
	srv := smtptest.NewServer(t, smtptest.Options{Username: testUser, Password: testPassword})
	cfg := smtpConfig(srv)
	cfg.Username, cfg.Password = testUser, testPassword
	var logs bytes.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	if err := newSMTP(t, cfg).Send(context.Background(), welcome()); err != nil {
		t.Fatalf("Send: %v", err)
	}

	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if got.From != "noreply@praxis.example" || len(got.To) != 1 || got.To[0] != "alex@example.org" || !got.TLS || got.User != testUser {
		t.Errorf("envelope = from %q to %q, TLS %v, user %q", got.From, got.To, got.TLS, got.User)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(got.Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if subject != welcome().Subject || msg.Header.Get("From") != `"Astral Praxis" <noreply@praxis.example>` ||
		msg.Header.Get("To") != `"Alex Doe" <alex@example.org>` || msg.Header.Get("Date") != "Thu, 05 Mar 2026 09:00:00 +0000" {
		t.Errorf("headers: Subject %q From %q To %q Date %q", subject, msg.Header.Get("From"), msg.Header.Get("To"), msg.Header.Get("Date"))
	}
	if msg.Header.Get("X-Astral-Kind") != "" {
		t.Error("real mail carries the X-Astral-Kind header")
	}
	typ, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if typ != "multipart/alternative" {
		t.Fatalf("Content-Type = %q", msg.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var parts []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		parts = append(parts, p.Header.Get("Content-Type")+"|"+string(b))
	}
	want := "text/plain; charset=utf-8|Hello Alex,\r\nplease set your password.\r\n;text/html; charset=utf-8|<p>Hello Alex,</p>\r\n"
	if strings.Join(parts, ";") != want {
		t.Errorf("parts = %q\nwant %q", strings.Join(parts, ";"), want)
	}

	// STARTTLS came before AUTH, and the password never crossed in clear.
	auths := srv.Auths()
	if len(auths) != 1 || !auths[0].TLS || !auths[0].OK {
		t.Errorf("auths = %+v, want one successful AUTH under TLS", auths)
	}
	assertNotOnWire(t, srv)

	// The log names the kind and an id, never the address, subject or body.
	line := logs.String()
	if !strings.Contains(line, "email sent") || !strings.Contains(line, "kind=invitation") || !strings.Contains(line, "id=2026") {
		t.Errorf("log = %q", line)
	}
	for _, leak := range []string{"alex", "Alex", "Praxis Müller", "password"} {
		if strings.Contains(line, leak) {
			t.Errorf("log leaks %q: %s", leak, line)
		}
	}
}

// assertNotOnWire checks that neither the password nor its AUTH PLAIN form
// appears in what the client sent.
func assertNotOnWire(t *testing.T, srv *smtptest.Server) {
	t.Helper()
	wire := srv.Wire()
	plain := base64.StdEncoding.EncodeToString([]byte("\x00" + testUser + "\x00" + testPassword))
	if bytes.Contains(wire, []byte(testPassword)) || bytes.Contains(wire, []byte(plain)) {
		t.Error("the password crossed the network in clear")
	}
	if len(wire) == 0 {
		t.Error("the server recorded no bytes; the check above proves nothing")
	}
}

func TestSMTPModes(t *testing.T) {
	tests := []struct {
		name string
		opts smtptest.Options
		edit func(*notify.SMTPConfig)
	}{
		{"implicit TLS with auth", smtptest.Options{Implicit: true, Username: testUser, Password: testPassword},
			func(c *notify.SMTPConfig) { c.TLS, c.Username, c.Password = notify.TLSImplicit, testUser, testPassword }},
		{"plain text to a loopback relay", smtptest.Options{NoTLS: true},
			func(c *notify.SMTPConfig) { c.TLS = notify.TLSNone }},
		{"starttls without auth", smtptest.Options{}, func(*notify.SMTPConfig) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.NewServer(t, tt.opts)
			cfg := smtpConfig(srv)
			tt.edit(&cfg)
			m := welcome()
			m.HTML = ""
			if err := newSMTP(t, cfg).Send(context.Background(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			msgs := srv.Messages()
			if len(msgs) != 1 {
				t.Fatalf("server got %d messages", len(msgs))
			}
			if wantTLS := cfg.TLS != notify.TLSNone; msgs[0].TLS != wantTLS {
				t.Errorf("TLS = %v, want %v", msgs[0].TLS, wantTLS)
			}
			if !bytes.Contains(msgs[0].Data, []byte("Content-Type: text/plain; charset=utf-8")) {
				t.Errorf("message:\n%s", msgs[0].Data)
			}
			if cfg.Username != "" {
				assertNotOnWire(t, srv)
			}
		})
	}
}
