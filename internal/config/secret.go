package config

import (
	"fmt"
	"log/slog"
)

// redacted is what a Secret shows everywhere except Reveal.
const redacted = "[redacted]"

// Secret is a setting that must never reach a log, an error message or a
// response: a password-bearing URL, a key or a token. Every way Go prints or
// encodes a value (fmt verbs including %#v, JSON, text encoding, slog) shows
// "[redacted]"; only Reveal returns the value, so a leak needs a visible call.
type Secret string

// Reveal returns the secret value. Call it only where the value is used, such
// as when opening a connection.
func (s Secret) Reveal() string { return string(s) }

// Describe returns "[set]" or "[not set]", which is safe to show an operator.
func (s Secret) Describe() string {
	if s == "" {
		return "[not set]"
	}
	return "[set]"
}

// String returns "[redacted]".
func (s Secret) String() string { return redacted }

// GoString returns "[redacted]", so %#v does not print the value.
func (s Secret) GoString() string { return redacted }

// Format writes "[redacted]" for every verb, quoted for %q. Implementing
// fmt.Formatter keeps %x, %d and friends from printing the bytes.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", redacted)
		return
	}
	fmt.Fprint(f, redacted)
}

// MarshalJSON encodes the secret as the JSON string "[redacted]".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText encodes the secret as "[redacted]".
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue makes slog show "[redacted]" with any handler.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }
