// Package logging builds Astral Core's structured logger: JSON lines through
// log/slog, behind a handler that redacts what must never reach a log.
//
// Typed PHI values (package phi) already print as "[phi]". This handler is
// the second line of defence against a mistake in a later change: it masks
// anything shaped like an email address or a phone number in the message
// and in every string, error and Stringer attribute, including inside groups
// and attributes added with With. Values of other types are rendered through
// encoding/json and scrubbed the same way, so a struct logged by accident
// cannot carry an address out either.
package logging

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
)

// New returns the JSON logger every subcommand uses, writing to w at level.
func New(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(NewRedactingHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})))
}

// RedactingHandler scrubs records before passing them to the next handler.
type RedactingHandler struct {
	next slog.Handler
}

// NewRedactingHandler wraps next.
func NewRedactingHandler(next slog.Handler) *RedactingHandler {
	return &RedactingHandler{next: next}
}

// Enabled reports whether next handles level.
func (h *RedactingHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle scrubs the record's message and attributes.
func (h *RedactingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Scrub(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(scrubAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs scrubs attributes once, when they are attached.
func (h *RedactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = scrubAttr(a)
	}
	return &RedactingHandler{next: h.next.WithAttrs(clean)}
}

// WithGroup opens a group on the next handler.
func (h *RedactingHandler) WithGroup(name string) slog.Handler {
	return &RedactingHandler{next: h.next.WithGroup(name)}
}

func scrubAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Scrub(v.String()))
	case slog.KindGroup:
		attrs := v.Group()
		clean := make([]slog.Attr, len(attrs))
		for i, g := range attrs {
			clean[i] = scrubAttr(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(clean...)}
	case slog.KindAny:
		return slog.String(a.Key, Scrub(anyString(v.Any())))
	default:
		// Numbers, booleans, times and durations carry no addresses.
		return slog.Attr{Key: a.Key, Value: v}
	}
}

// anyString renders an arbitrary value for scrubbing.
func anyString(x any) string {
	switch t := x.(type) {
	case nil:
		return "<nil>"
	case error:
		return t.Error()
	case fmt.Stringer:
		return t.String()
	case []byte:
		return "[bytes]" // raw bytes are never logged; they may be key material
	}
	b, err := json.Marshal(x)
	if err != nil {
		return fmt.Sprintf("[unloggable %T]", x)
	}
	return string(b)
}

var (
	emailRE = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
	// phoneRE finds candidate phone numbers: an optional +, then digits
	// with spaces, dashes, slashes or parentheses between them. Candidates
	// are confirmed in maskPhones (enough digits, word boundaries, not a
	// date).
	phoneRE = regexp.MustCompile(`\+?\(?\d[\d \-/()]{6,}\d`)
	dateRE  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}`)
)

// Scrub masks email addresses and phone numbers in s.
func Scrub(s string) string {
	if strings.IndexByte(s, '@') >= 0 {
		s = emailRE.ReplaceAllString(s, "[email]")
	}
	return maskPhones(s)
}

func maskPhones(s string) string {
	locs := phoneRE.FindAllStringIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, loc := range locs {
		start, end := loc[0], loc[1]
		cand := s[start:end]
		if !isPhone(cand) || isWordChar(s, start-1) || isWordChar(s, end) {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString("[phone]")
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// isPhone accepts candidates with 8 to 15 digits (E.164 allows 15) that
// are not ISO dates.
func isPhone(c string) bool {
	digits := 0
	for i := 0; i < len(c); i++ {
		if c[i] >= '0' && c[i] <= '9' {
			digits++
		}
	}
	return digits >= 8 && digits <= 15 && !dateRE.MatchString(c)
}

// isWordChar reports whether s[i] is a letter, digit, underscore or a
// character that joins identifiers (. : = - /), so digits inside ids, UUIDs,
// versions and addresses are not taken for phone numbers.
func isWordChar(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	c := s[i]
	return c == '_' || c == '.' || c == ':' || c == '=' || c == '-' || c == '/' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
