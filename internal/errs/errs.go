// Package errs gives every error in Astral Core a kind, a safe message and a
// private cause.
//
// The kind decides the HTTP status (one table, HTTPStatus). The safe message is
// a translation key that a client may see, with per-field messages for invalid
// input. The cause is for logs only and must never hold PHI: wrap with
// operation names and ids, never values.
package errs

import (
	"errors"
	"fmt"
	"net/http"
)

// Kind classifies an error. The zero value is Internal, so an error that
// nobody classified fails closed as a 500.
type Kind uint8

// The kinds of error. Add a kind only together with its row in statusByKind.
const (
	Internal Kind = iota
	Invalid
	Unauthenticated
	Forbidden
	NotFound
	MethodNotAllowed
	Conflict
	TooLarge
	RateLimited
	Unavailable
)

var kindNames = [...]string{
	Internal:         "internal",
	Invalid:          "invalid",
	Unauthenticated:  "unauthenticated",
	Forbidden:        "forbidden",
	NotFound:         "not_found",
	MethodNotAllowed: "method_not_allowed",
	Conflict:         "conflict",
	TooLarge:         "too_large",
	RateLimited:      "rate_limited",
	Unavailable:      "unavailable",
}

// statusByKind is the one table that maps kinds to HTTP status codes.
var statusByKind = [...]int{
	Internal:         http.StatusInternalServerError,
	Invalid:          http.StatusBadRequest,
	Unauthenticated:  http.StatusUnauthorized,
	Forbidden:        http.StatusForbidden,
	NotFound:         http.StatusNotFound,
	MethodNotAllowed: http.StatusMethodNotAllowed,
	Conflict:         http.StatusConflict,
	TooLarge:         http.StatusRequestEntityTooLarge,
	RateLimited:      http.StatusTooManyRequests,
	Unavailable:      http.StatusServiceUnavailable,
}

// String returns the kind's stable name, used in logs, metrics and the
// "type" of API problem details.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return kindNames[Internal]
}

// HTTPStatus returns the status code for the kind.
func (k Kind) HTTPStatus() int {
	if int(k) < len(statusByKind) {
		return statusByKind[k]
	}
	return http.StatusInternalServerError
}

// Kinds returns every kind, for tests that walk the table.
func Kinds() []Kind {
	ks := make([]Kind, len(kindNames))
	for i := range ks {
		ks[i] = Kind(i)
	}
	return ks
}

// FieldError says what is wrong with one input field. Message is a
// translation key; Args fill its placeholders. Neither may hold PHI: say
// "too long (max %d)", never echo the value.
type FieldError struct {
	Field   string
	Message string
	Args    []any
}

// Error is the error type that crosses layers.
type Error struct {
	Kind Kind
	// Message is a translation key safe to show to the client, such as
	// "error.not_found". Empty means the kind's generic message.
	Message string
	// Args fill placeholders in Message.
	Args []any
	// Fields lists per-field problems for Invalid errors.
	Fields []FieldError
	// Op names the operation that failed, such as "store.UserByID".
	Op string
	// Err is the private cause. It is logged, never shown.
	Err error
}

// Error returns a description for logs: operation, kind and cause. It never
// includes the safe message's arguments, which may be user input.
func (e *Error) Error() string {
	s := e.Kind.String()
	if e.Op != "" {
		s = e.Op + ": " + s
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// E builds an error of the given kind with a safe message key.
func E(kind Kind, message string, args ...any) *Error {
	return &Error{Kind: kind, Message: message, Args: args}
}

// Wrap classifies cause as kind in operation op. A nil cause gives nil.
func Wrap(cause error, kind Kind, op string) error {
	if cause == nil {
		return nil
	}
	return &Error{Kind: kind, Op: op, Err: cause}
}

// Op prefixes err with an operation name, keeping its kind and messages. Use it
// once per function boundary: `defer errs.Op(&err, "store.CreateUser")`.
func Op(errp *error, op string) {
	if *errp == nil {
		return
	}
	var e *Error
	if errors.As(*errp, &e) {
		c := *e
		c.Op = op
		if e.Op != "" {
			c.Err = fmt.Errorf("%s: %w", e.Op, errOrKind(e))
		}
		*errp = &c
		return
	}
	*errp = &Error{Kind: Internal, Op: op, Err: *errp}
}

func errOrKind(e *Error) error {
	if e.Err != nil {
		return e.Err
	}
	return errors.New(e.Kind.String())
}

// InvalidFields builds an Invalid error carrying field problems.
func InvalidFields(fields ...FieldError) *Error {
	return &Error{Kind: Invalid, Message: "error.invalid", Fields: fields}
}

// KindOf returns the kind of err: the kind of the first *Error in its chain,
// Internal otherwise. KindOf(nil) is Internal too; callers check nil first.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err has the given kind.
func Is(err error, kind Kind) bool {
	return err != nil && KindOf(err) == kind
}

// Public returns what a client may see of err: the kind, the message key with
// its arguments and the field problems. Internal errors always collapse to
// the generic message so no cause ever leaks.
func Public(err error) (kind Kind, message string, args []any, fields []FieldError) {
	var e *Error
	if !errors.As(err, &e) || e.Kind == Internal {
		return Internal, "error.internal", nil, nil
	}
	message = e.Message
	args = e.Args
	if message == "" {
		message = "error." + e.Kind.String()
		args = nil
	}
	return e.Kind, message, args, e.Fields
}
