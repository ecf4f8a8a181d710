package logging

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

type profile struct {
	Name  string
	Email string
}

func TestRedactsEmailsAndPhones(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, slog.LevelDebug)
	log.Info("sent to jane.doe+x@example.org", "to", "jane.doe@example.org")
	log.Warn("call", "phone", "+49 30 1234 5678", "us", "(555) 123-4567", "plain", "015112345678")
	log.Error("failed", "err", fmt.Errorf("smtp: rcpt <bob@clinic.example>: %w", errors.New("rejected")))
	log.With("user", "carol@example.com").WithGroup("g").Info("grouped", slog.Group("inner", "mail", "dave@example.net"))
	log.Info("struct", "p", profile{Name: "x", Email: "erin@example.com"})
	log.Info("bytes", "key", []byte("0123456789abcdef"))
	out := buf.String()
	for _, leak := range []string{"jane.doe", "example.org", "1234 5678", "123-4567", "015112345678", "bob@", "carol@", "dave@", "erin@", "0123456789abcdef"} {
		if strings.Contains(out, leak) {
			t.Errorf("log contains %q:\n%s", leak, out)
		}
	}
	for _, want := range []string{"[email]", "[phone]", "[bytes]", `"msg":"sent to [email]"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestKeepsOrdinaryValues(t *testing.T) {
	keep := []string{
		"0190f3a2-7b1c-7def-8a9b-123456789abc", // UUID
		"2026-11-22T04:05:06.123456Z",          // timestamp
		"127.0.0.1:8080",                       // address
		"GET /health/ready",                    // route
		"request abc-12345678-xyz",             // id with digits
		"v1.26.8",                              // version
		"took 123 ms",                          // short number
		"seq=123456789",                        // key=value
	}
	for _, s := range keep {
		if got := Scrub(s); got != s {
			t.Errorf("Scrub(%q) = %q, want unchanged", s, got)
		}
	}
}

func TestLevelsAndControlCharacters(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, slog.LevelWarn)
	log.Info("hidden")
	log.Warn("line\nbreak", "v", "a\r\nb\x00c")
	out := buf.String()
	if strings.Contains(out, "hidden") {
		t.Error("info logged at warn level")
	}
	if strings.Count(out, "\n") != 1 {
		t.Errorf("control characters split the log line:\n%q", out)
	}
}
