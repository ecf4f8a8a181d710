package errs

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestKindTable(t *testing.T) {
	want := map[Kind]int{
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
	if len(Kinds()) != len(want) {
		t.Fatalf("Kinds() has %d kinds, the test knows %d", len(Kinds()), len(want))
	}
	seen := map[string]bool{}
	for _, k := range Kinds() {
		if got := k.HTTPStatus(); got != want[k] {
			t.Errorf("%v.HTTPStatus() = %d, want %d", k, got, want[k])
		}
		if seen[k.String()] || k.String() == "" {
			t.Errorf("kind %d has empty or duplicate name %q", k, k.String())
		}
		seen[k.String()] = true
	}
	if got := Kind(200).HTTPStatus(); got != 500 {
		t.Errorf("unknown kind maps to %d, want 500", got)
	}
}

func TestPublicHidesCauses(t *testing.T) {
	cause := errors.New("pq: relation users_secret does not exist at SELECT ...")
	tests := []struct {
		name     string
		err      error
		wantKind Kind
		wantMsg  string
	}{
		{"plain error", cause, Internal, "error.internal"},
		{"internal wrap", Wrap(cause, Internal, "store.X"), Internal, "error.internal"},
		{"internal with message", &Error{Kind: Internal, Message: "error.secret", Err: cause}, Internal, "error.internal"},
		{"not found", Wrap(cause, NotFound, "store.UserByID"), NotFound, "error.not_found"},
		{"wrapped by fmt", fmt.Errorf("outer: %w", Wrap(cause, Conflict, "op")), Conflict, "error.conflict"},
		{"explicit message", E(TooLarge, "error.too_large", "1 MiB"), TooLarge, "error.too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, msg, args, _ := Public(tt.err)
			if kind != tt.wantKind || msg != tt.wantMsg {
				t.Errorf("Public() = %v %q, want %v %q", kind, msg, tt.wantKind, tt.wantMsg)
			}
			for _, a := range args {
				if strings.Contains(fmt.Sprint(a), "pq:") {
					t.Errorf("cause leaked into args: %v", a)
				}
			}
		})
	}
}

func TestOpKeepsKindAndChainsOps(t *testing.T) {
	inner := func() (err error) {
		defer Op(&err, "store.UserByID")
		return E(NotFound, "error.not_found")
	}
	outer := func() (err error) {
		defer Op(&err, "identity.User")
		return inner()
	}
	err := outer()
	if !Is(err, NotFound) {
		t.Fatalf("kind lost: %v", err)
	}
	if got := err.Error(); !strings.Contains(got, "identity.User") || !strings.Contains(got, "store.UserByID") {
		t.Errorf("Error() = %q, want both operations", got)
	}
	var nilErr error
	Op(&nilErr, "x")
	if nilErr != nil {
		t.Errorf("Op on nil error produced %v", nilErr)
	}
	plain := errors.New("boom")
	err = plain
	Op(&err, "y")
	if !Is(err, Internal) || !errors.Is(err, plain) {
		t.Errorf("Op on plain error = %v, want Internal wrapping cause", err)
	}
}

func TestWrapNil(t *testing.T) {
	if Wrap(nil, NotFound, "op") != nil {
		t.Error("Wrap(nil) != nil")
	}
	if KindOf(nil) != Internal || Is(nil, Internal) {
		t.Error("nil error classification is wrong")
	}
}
