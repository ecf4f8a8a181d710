package phi_test

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/astralcore/astral/internal/phi"
)

const canary = "CANARY-phi-5b1e"

// TestTextNeverPrints prints and encodes PHI values every way Go can and
// checks that the canary never shows.
func TestTextNeverPrints(t *testing.T) {
	txt := phi.NewText(canary)
	bin := phi.NewBytes([]byte(canary))
	type record struct {
		Name    phi.Text
		File    phi.Bytes
		private phi.Text // reflection reaches unexported fields without methods
		Ptr     *phi.Text
	}
	rec := record{Name: txt, File: bin, private: txt, Ptr: &txt}
	var out []string
	for _, v := range []any{txt, bin, &txt, rec, &rec, []phi.Text{txt}, map[string]phi.Text{"k": txt}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v", "%10.3s"} {
			out = append(out, fmt.Sprintf(verb, v))
		}
		out = append(out, fmt.Sprint(v), fmt.Sprintln(v), fmt.Errorf("wrapped: %v", v).Error(),
			fmt.Errorf("wrapped: %w", errors.New(fmt.Sprint(v))).Error())
		j, err := json.Marshal(v)
		if err != nil {
			t.Errorf("json.Marshal(%T): %v", v, err)
		}
		out = append(out, string(j))
	}
	for _, tm := range []interface{ MarshalText() ([]byte, error) }{txt, bin} {
		b, _ := tm.MarshalText()
		out = append(out, string(b))
	}
	var logs bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&logs, nil), slog.NewTextHandler(&logs, nil)} {
		l := slog.New(h)
		l.Info("event", "text", txt, "bytes", bin, "record", rec, "ptr", &txt)
		l.Info("event", slog.Any("text", txt), slog.Group("g", "t", txt))
		l.Info(fmt.Sprint(txt))
	}
	out = append(out, logs.String())
	for _, s := range out {
		if strings.Contains(s, canary) || strings.Contains(s, fmt.Sprintf("%x", canary)) {
			t.Errorf("PHI printed: %s", s)
		}
	}
	if !strings.Contains(logs.String(), "[phi]") {
		t.Errorf("logs show no [phi] placeholder:\n%s", logs.String())
	}
	if got := fmt.Sprintf("%v|%q|%#v", txt, txt, txt); got != `[phi]|"[phi]"|[phi]` {
		t.Errorf("formatting = %s", got)
	}
}

func TestTextValue(t *testing.T) {
	txt := phi.NewText("value")
	if txt.Reveal() != "value" || txt.IsZero() || !txt.Equal(phi.NewText("value")) || txt.Equal(phi.NewText("other")) {
		t.Errorf("Text %q: IsZero %v", txt.Reveal(), txt.IsZero())
	}
	var zero phi.Text
	if !zero.IsZero() || zero.Reveal() != "" || !phi.NewText("").IsZero() || !zero.Equal(phi.NewText("")) {
		t.Error("zero Text")
	}
	b := phi.NewBytes([]byte{1, 2})
	if b.Len() != 2 || b.IsZero() || !bytes.Equal(b.Reveal(), []byte{1, 2}) || !phi.NewBytes(nil).IsZero() {
		t.Error("Bytes")
	}
	// Text cannot be decoded from JSON: a round trip would turn the
	// placeholder into data.
	var rec struct{ T phi.Text }
	if err := json.Unmarshal([]byte(`{"T":"x"}`), &rec); err == nil && !rec.T.IsZero() {
		t.Errorf("json.Unmarshal filled a Text with %q", rec.T.Reveal())
	}
}

func TestPlaintextCannotReachTheDatabase(t *testing.T) {
	for _, v := range []driver.Valuer{phi.NewText("canary"), phi.NewBytes([]byte("canary"))} {
		got, err := v.Value()
		if !errors.Is(err, phi.ErrPlaintextToDatabase) || got != nil {
			t.Errorf("%T.Value() = %v, %v; want ErrPlaintextToDatabase", v, got, err)
		}
	}
}
