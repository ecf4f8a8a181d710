package audit

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/astralcore/astral/internal/errs"
)

// Translation keys of field problems (errs.FieldError.Message).
const (
	msgRequired      = "field.required"
	msgTooLong       = "field.too_long" // args: max bytes
	msgInvalidChoice = "field.invalid_choice"
	msgInvalidFormat = "field.invalid_format"
)

// Limits on event fields. The migrations' CHECK constraints repeat the
// lengths, so a row the store accepts is one Validate accepts.
const (
	maxIDLen        = 128 // org, actor, resource, patient and request ids
	maxNameLen      = 64  // role, action, resource type, field names
	maxUserAgentLen = 512
	maxFields       = 64
)

// Validate checks an event before it is queued. Problems are errs.Invalid
// with one errs.FieldError per field, whose message never quotes the value.
//
// Ids may hold letters, digits and . _ : - only, which keeps names, e-mail
// addresses and other PHI out of them; action, role, resource type and field
// names are lowercase dotted identifiers.
func (ev *Event) Validate() error {
	var fe []errs.FieldError
	add := func(field, msg string, args ...any) {
		fe = append(fe, errs.FieldError{Field: field, Message: msg, Args: args})
	}
	id := func(field, v string, required bool) {
		switch {
		case v == "" && required:
			add(field, msgRequired)
		case len(v) > maxIDLen:
			add(field, msgTooLong, maxIDLen)
		case !isID(v):
			add(field, msgInvalidFormat)
		}
	}
	name := func(field, v string, required, dotted bool) {
		switch {
		case v == "" && required:
			add(field, msgRequired)
		case len(v) > maxNameLen:
			add(field, msgTooLong, maxNameLen)
		case v != "" && !isName(v, dotted):
			add(field, msgInvalidFormat)
		}
	}
	id("org_id", ev.OrgID, true)
	id("actor_id", ev.ActorID, true)
	name("actor_role", ev.ActorRole, true, false)
	name("action", ev.Action, true, true)
	if ev.Action != "" && !strings.Contains(ev.Action, ".") {
		add("action", msgInvalidFormat) // "patient.read", not "read"
	}
	name("resource_type", ev.ResourceType, ev.ResourceID != "", false)
	id("resource_id", ev.ResourceID, false)
	id("patient_id", ev.PatientID, false)
	id("request_id", ev.RequestID, false)
	choice("outcome", string(ev.Outcome), add, string(Success), string(Denied), string(Failure))
	choice("purpose", string(ev.Purpose), add, string(PurposeNormal), string(PurposeBreakGlass), string(PurposeSystem))
	choice("category", string(ev.Category), add, stringsOf(Categories())...)
	switch {
	case len(ev.UserAgent) > maxUserAgentLen:
		add("user_agent", msgTooLong, maxUserAgentLen)
	case !printable(ev.UserAgent):
		add("user_agent", msgInvalidFormat)
	}
	if len(ev.Fields) > maxFields {
		add("fields", msgTooLong, maxFields)
	} else {
		seen := make(map[string]bool, len(ev.Fields))
		for _, f := range ev.Fields {
			if f == "" || len(f) > maxNameLen || !isName(f, true) || seen[f] {
				add("fields", msgInvalidFormat)
				break
			}
			seen[f] = true
		}
	}
	if ev.DataHash != "" && !isHexHash(ev.DataHash) {
		add("data_hash", msgInvalidFormat)
	}
	if len(fe) > 0 {
		return errs.InvalidFields(fe...)
	}
	return nil
}

func choice(field, v string, add func(string, string, ...any), allowed ...string) {
	if v == "" {
		add(field, msgRequired)
		return
	}
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	add(field, msgInvalidChoice)
}

func stringsOf[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// isID reports whether s holds only ASCII letters, digits and . _ : -.
func isID(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLower(c) && !isDigit(c) && (c < 'A' || c > 'Z') && c != '.' && c != '_' && c != ':' && c != '-' {
			return false
		}
	}
	return true
}

// isName reports whether s is a lowercase identifier ([a-z][a-z0-9_]*), or,
// when dotted, several joined by dots.
func isName(s string, dotted bool) bool {
	start := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isLower(c):
		case (isDigit(c) || c == '_') && !start:
		case c == '.' && dotted && !start && i < len(s)-1:
			start = true
			continue
		default:
			return false
		}
		start = false
	}
	return s != ""
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHexHash(s string) bool {
	if len(s) != 2*HashSize {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && (s[i] < 'a' || s[i] > 'f') {
			return false
		}
	}
	return true
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}

// CleanUserAgent makes an untrusted User-Agent header fit Event.UserAgent:
// invalid UTF-8 and control characters become U+FFFD and the result is cut
// to 512 bytes on a character boundary. A client cannot make its own
// request fail by sending a strange header.
func CleanUserAgent(s string) string {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			r = '\uFFFD'
		}
		if b.Len()+utf8.RuneLen(r) > maxUserAgentLen {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}
