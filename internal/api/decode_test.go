package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/i18n"
)

type sample struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		ctype     string
		limit     int64
		wantKind  errs.Kind
		wantMsg   string
		wantField string
	}{
		{name: "ok", body: `{"name":"a","count":2}`, ctype: "application/json"},
		{name: "ok without content type", body: `{"name":"a"}`},
		{name: "ok problem+json style type", body: `{"name":"a"}`, ctype: "application/merge-patch+json"},
		{name: "malformed", body: `{"name":`, wantKind: errs.Invalid, wantMsg: "error.json_malformed"},
		{name: "syntax", body: `{"name" "a"}`, wantKind: errs.Invalid, wantMsg: "error.json_malformed"},
		{name: "empty", body: ``, wantKind: errs.Invalid, wantMsg: "error.json_empty"},
		{name: "unknown field", body: `{"name":"a","role":"admin"}`, wantKind: errs.Invalid, wantMsg: "error.invalid", wantField: "role"},
		{name: "wrong type", body: `{"count":"many"}`, wantKind: errs.Invalid, wantMsg: "error.invalid", wantField: "count"},
		{name: "trailing data", body: `{"name":"a"} {"name":"b"}`, wantKind: errs.Invalid, wantMsg: "error.json_trailing"},
		{name: "not json", body: `name=a`, ctype: "application/x-www-form-urlencoded", wantKind: errs.Invalid, wantMsg: "error.unsupported_media_type"},
		{name: "too large", body: `{"name":"` + strings.Repeat("x", 100) + `"}`, limit: 50, wantKind: errs.TooLarge, wantMsg: "error.too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			if tt.limit > 0 {
				r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, tt.limit)
			}
			var v sample
			err := Decode(r, &v)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			kind, msg, _, fields := errs.Public(err)
			if kind != tt.wantKind || msg != tt.wantMsg {
				t.Errorf("got %v %q, want %v %q (%v)", kind, msg, tt.wantKind, tt.wantMsg, err)
			}
			if tt.wantField != "" && (len(fields) != 1 || fields[0].Field != tt.wantField) {
				t.Errorf("fields = %+v, want one for %q", fields, tt.wantField)
			}
		})
	}
}

func TestProblemNamesTheUnknownField(t *testing.T) {
	h := New(Options{Catalog: i18n.MustLoad(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{"name":"a","is_admin":true}`))
	var v sample
	rec := httptest.NewRecorder()
	h.Error(rec, r, Decode(r, &v))
	if rec.Code != 400 || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Errors) != 1 || p.Errors[0].Field != "is_admin" || !strings.Contains(p.Errors[0].Message, `"is_admin"`) {
		t.Errorf("problem errors = %+v", p.Errors)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{512: "512 B", 1024: "1 KiB", 1 << 20: "1 MiB", 3 << 30: "3 GiB", 1536: "1.5 KiB", 1100: "1.1 KiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
