package notify

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/phi"
)

var testFrom = &mail.Address{Name: "Astral Praxis", Address: "noreply@praxis.example"}

func validMessage() Message {
	return Message{To: phi.NewText("Alex Doe <alex@example.org>"), Subject: "Welcome", Text: "Hello\nthere", Kind: "invitation"}
}

func TestPrepareRefuses(t *testing.T) {
	const leak = "leaky-value"
	tests := []struct {
		name string
		edit func(*Message)
	}{
		{"no kind", func(m *Message) { m.Kind = "" }},
		{"kind with spaces", func(m *Message) { m.Kind = "reset for " + leak }},
		{"kind upper case", func(m *Message) { m.Kind = "Reset" }},
		{"no recipient", func(m *Message) { m.To = phi.Text{} }},
		{"malformed recipient", func(m *Message) { m.To = phi.NewText(leak + "@") }},
		{"header injection in recipient", func(m *Message) { m.To = phi.NewText("a@example.org\r\nBcc: " + leak + "@evil.example") }},
		{"non-ASCII address", func(m *Message) { m.To = phi.NewText(leak + "@bücher.example") }},
		{"header injection in subject", func(m *Message) { m.Subject = "Hi\r\nBcc: " + leak + "@evil.example" }},
		{"tab in subject", func(m *Message) { m.Subject = "a\t" + leak }},
		{"invalid UTF-8 subject", func(m *Message) { m.Subject = leak + "\xff" }},
		{"subject too long", func(m *Message) { m.Subject = strings.Repeat(leak, 30) }},
		{"empty text", func(m *Message) { m.Text = " \n" }},
		{"text too long", func(m *Message) { m.Text = strings.Repeat("a", maxBodyBytes+1) }},
		{"invalid UTF-8 html", func(m *Message) { m.HTML = "<p>\xff</p>" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := validMessage()
			tt.edit(&m)
			_, err := prepare("test", m, testFrom)
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("prepare: %v, want Invalid", err)
			}
			if strings.Contains(err.Error(), leak) || strings.Contains(err.Error(), "alex") {
				t.Errorf("error quotes the message: %v", err)
			}
		})
	}
	if _, err := prepare("test", validMessage(), testFrom); err != nil {
		t.Errorf("valid message: %v", err)
	}
}

func mustPrepare(t *testing.T, m Message) *envelope {
	t.Helper()
	e, err := prepare("test", m, testFrom)
	if err != nil {
		t.Fatalf("prepare: %v", err)
	}
	return e
}

func TestWriteMessagePlain(t *testing.T) {
	date := time.Date(2026, 3, 5, 14, 30, 0, 0, time.FixedZone("CET", 3600))
	id := newID(date)
	var buf bytes.Buffer
	if err := writeMessage(&buf, mustPrepare(t, validMessage()), date, id); err != nil {
		t.Fatal(err)
	}
	raw := buf.String()
	if strings.Contains(strings.ReplaceAll(raw, "\r\n", ""), "\n") {
		t.Errorf("bare LF in message:\n%q", raw)
	}
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	want := map[string]string{
		"Date":                      "Thu, 05 Mar 2026 14:30:00 +0100",
		"Message-ID":                "<" + id + "@praxis.example>",
		"From":                      `"Astral Praxis" <noreply@praxis.example>`,
		"To":                        `"Alex Doe" <alex@example.org>`,
		"Subject":                   "Welcome",
		"MIME-Version":              "1.0",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "quoted-printable",
		kindHeader:                  "",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	body, _ := io.ReadAll(msg.Body)
	if string(body) != "Hello\r\nthere\r\n" {
		t.Errorf("body = %q", body)
	}
}

func TestWriteMessageAlternativeAndEncodedSubject(t *testing.T) {
	m := validMessage()
	m.Subject = strings.Repeat("Ihre Einladung für die Praxis Müller — ", 5)
	m.Text = "Grüße\nLine two with = sign"
	m.HTML = "<p>Grüße</p>"
	id := newID(time.Unix(0, 0))
	var buf bytes.Buffer
	if err := writeMessage(&buf, mustPrepare(t, m), time.Unix(0, 0), id, [2]string{kindHeader, "invitation"}); err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(buf.String(), "\r\n\r\n")
	for line := range strings.SplitSeq(head, "\r\n") {
		if len(line) > 78 {
			t.Errorf("header line longer than 78: %q", line)
		}
		for _, r := range line {
			if r > 127 {
				t.Errorf("non-ASCII header line: %q", line)
				break
			}
		}
	}
	msg, err := mail.ReadMessage(&buf)
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("decoded subject = %q, %v; want %q", subject, err, m.Subject)
	}
	if msg.Header.Get(kindHeader) != "invitation" {
		t.Errorf("%s = %q", kindHeader, msg.Header.Get(kindHeader))
	}
	typ, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || typ != "multipart/alternative" {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var got []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		got = append(got, p.Header.Get("Content-Type")+": "+string(b))
	}
	want := []string{
		"text/plain; charset=utf-8: Grüße\r\nLine two with = sign\r\n",
		"text/html; charset=utf-8: <p>Grüße</p>\r\n",
	}
	if !slices.Equal(got, want) {
		t.Errorf("parts = %q\nwant %q", got, want)
	}
}

func TestEncodeSubject(t *testing.T) {
	for _, s := range []string{"Plain ASCII stays", "Grüße aus der Praxis", "=?utf-8?q?spoof?=", "日本語の件名", strings.Repeat("é_?= ", 51)} {
		enc := encodeSubject(s)
		for line := range strings.SplitSeq(enc, "\r\n") {
			if len("Subject: ")+len(line) > 76 && enc != s {
				t.Errorf("%q: line %q is longer than RFC 2047 allows", s, line)
			}
		}
		got, err := new(mime.WordDecoder).DecodeHeader(strings.ReplaceAll(enc, "\r\n", ""))
		if err != nil || got != s {
			t.Errorf("encodeSubject(%q) = %q, decodes to %q, %v", s, enc, got, err)
		}
	}
	if got := encodeSubject("Plain ASCII stays"); got != "Plain ASCII stays" {
		t.Errorf("ASCII subject encoded: %q", got)
	}
	if got := encodeSubject("=?x"); !strings.HasPrefix(got, "=?utf-8?q?") {
		t.Errorf("a subject holding =? was not encoded: %q", got)
	}
}

func TestIDs(t *testing.T) {
	base := time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("X", -7*3600))
	var ids []string
	for i := range 3 {
		id := newID(base.Add(time.Duration(i) * time.Nanosecond))
		if got, ok := idTime(id); !ok || !got.Equal(base.Add(time.Duration(i))) {
			t.Errorf("idTime(%q) = %v, %v", id, got, ok)
		}
		ids = append(ids, id)
	}
	if !slices.IsSorted(ids) {
		t.Errorf("ids do not sort in time order: %q", ids)
	}
	if a, b := newID(base), newID(base); a == b {
		t.Errorf("two ids at the same instant are equal: %q", a)
	}
	for _, bad := range []string{"", "../x", ids[0] + ".eml", ids[0] + "/", "/" + ids[0], strings.ToUpper(ids[0])} {
		if _, ok := idTime(bad); ok {
			t.Errorf("idTime(%q) accepted", bad)
		}
	}
}
