package api

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/astralcore/astral/internal/errs"
)

// Decode reads a JSON object from r's body into dst, strictly: the content
// type must be JSON, unknown fields are refused by name, a second value after
// the object is refused, and a body over the server's limit (enforced by the
// body-limit middleware with http.MaxBytesReader) is TooLarge. Every failure
// is an *errs.Error with a translated message that never echoes the input.
func Decode(r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return errs.E(errs.Invalid, "error.unsupported_media_type")
		}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	// One object only: anything but whitespace after it is an error.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(mbe.Limit)
		}
		return errs.E(errs.Invalid, "error.json_trailing")
	}
	return nil
}

func decodeError(err error) error {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
		mbe    *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return tooLarge(mbe.Limit)
	case errors.Is(err, io.EOF):
		return errs.E(errs.Invalid, "error.json_empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.E(errs.Invalid, "error.json_malformed", int64(0))
	case errors.As(err, &syntax):
		return errs.E(errs.Invalid, "error.json_malformed", syntax.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return errs.InvalidFields(errs.FieldError{Field: field, Message: "error.json_wrong_type", Args: []any{field, typ.Type.String()}})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json reports unknown fields only in its message.
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errs.InvalidFields(errs.FieldError{Field: field, Message: "error.json_unknown_field", Args: []any{field}})
	default:
		return errs.Wrap(err, errs.Invalid, "api.Decode")
	}
}

func tooLarge(limit int64) error {
	return errs.E(errs.TooLarge, "error.too_large", FormatBytes(limit))
}

// FormatBytes renders a byte count for people: 1048576 → "1 MiB",
// 1536 → "1.5 KiB".
func FormatBytes(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v := float64(n) / 1024
	unit := "KiB"
	for _, u := range []string{"MiB", "GiB", "TiB"} {
		if v < 1024 {
			break
		}
		v /= 1024
		unit = u
	}
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) + " " + unit
}
