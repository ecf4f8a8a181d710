package phi

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
)

// placeholder is what a PHI value shows everywhere except Reveal.
const placeholder = "[phi]"

// Text is a PHI string: a note, a name, an answer. Every way Go prints or
// encodes a value shows "[phi]": fmt (every verb, including %#v, and inside
// errors built with fmt.Errorf), encoding/json, encoding.TextMarshaler and
// slog. Only Reveal returns the value, so a leak needs a visible call.
//
// Text holds a pointer to the string, so that even reflection-based printing
// of a struct that holds a Text in an unexported field (which bypasses the
// methods below) shows an address and not the value. A consequence: ==
// compares identity; use Equal to compare values and IsZero for emptiness.
// Text does not implement database/sql/driver.Valuer, so it cannot be stored
// without being sealed first.
type Text struct{ p *string }

// NewText wraps s. The empty string gives the zero Text.
func NewText(s string) Text {
	if s == "" {
		return Text{}
	}
	return Text{p: &s}
}

// Reveal returns the value. Call it only where the value is used: when
// sealing it, or when rendering it for a user allowed to see it.
func (t Text) Reveal() string {
	if t.p == nil {
		return ""
	}
	return *t.p
}

// IsZero reports whether t is empty.
func (t Text) IsZero() bool { return t.p == nil || *t.p == "" }

// Equal reports whether t and u hold the same value.
func (t Text) Equal(u Text) bool { return t.Reveal() == u.Reveal() }

// String returns "[phi]".
func (Text) String() string { return placeholder }

// GoString returns "[phi]".
func (Text) GoString() string { return placeholder }

// Format writes "[phi]" for every verb, quoted for %q.
func (Text) Format(f fmt.State, verb rune) { formatPlaceholder(f, verb) }

// MarshalJSON returns "[phi]" as a JSON string. API handlers render PHI
// through explicit projections that call Reveal, never by marshalling Text.
func (Text) MarshalJSON() ([]byte, error) { return []byte(`"` + placeholder + `"`), nil }

// MarshalText returns "[phi]".
func (Text) MarshalText() ([]byte, error) { return []byte(placeholder), nil }

// LogValue implements slog.LogValuer: "[phi]".
func (Text) LogValue() slog.Value { return slog.StringValue(placeholder) }

// Bytes is PHI in binary form, such as a file's contents. It prints, encodes
// and logs as "[phi]" like Text.
type Bytes struct{ p *[]byte }

// NewBytes wraps b, without copying it. An empty b gives the zero Bytes.
func NewBytes(b []byte) Bytes {
	if len(b) == 0 {
		return Bytes{}
	}
	return Bytes{p: &b}
}

// Reveal returns the value, which the caller must not modify.
func (b Bytes) Reveal() []byte {
	if b.p == nil {
		return nil
	}
	return *b.p
}

// IsZero reports whether b is empty.
func (b Bytes) IsZero() bool { return b.p == nil || len(*b.p) == 0 }

// Len returns the length of the value, which is not PHI.
func (b Bytes) Len() int { return len(b.Reveal()) }

// String returns "[phi]".
func (Bytes) String() string { return placeholder }

// GoString returns "[phi]".
func (Bytes) GoString() string { return placeholder }

// Format writes "[phi]" for every verb, quoted for %q.
func (Bytes) Format(f fmt.State, verb rune) { formatPlaceholder(f, verb) }

// MarshalJSON returns "[phi]" as a JSON string.
func (Bytes) MarshalJSON() ([]byte, error) { return []byte(`"` + placeholder + `"`), nil }

// MarshalText returns "[phi]".
func (Bytes) MarshalText() ([]byte, error) { return []byte(placeholder), nil }

// LogValue implements slog.LogValuer: "[phi]".
func (Bytes) LogValue() slog.Value { return slog.StringValue(placeholder) }

func formatPlaceholder(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = fmt.Fprintf(f, "%q", placeholder)
		return
	}
	_, _ = f.Write([]byte(placeholder))
}

// ErrPlaintextToDatabase is returned when a PHI value is passed to SQL
// without being sealed: the database/sql driver calls Value, which refuses.
// It makes writing plaintext PHI to a column fail loudly instead of quietly.
var ErrPlaintextToDatabase = errors.New("phi: a PHI value must be sealed before it is stored")

// Value implements driver.Valuer by refusing: seal the value with a Keyring
// and store the ciphertext instead.
func (t Text) Value() (driver.Value, error) { return nil, ErrPlaintextToDatabase }

// Value implements driver.Valuer by refusing, like Text.Value.
func (b Bytes) Value() (driver.Value, error) { return nil, ErrPlaintextToDatabase }
