package notify

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/astralcore/astral/internal/errs"
)

// Limits on a message. They are far above what Astral Core's templates
// produce; they exist so that a bug cannot write huge files or lines longer
// than RFC 5322 allows.
const (
	maxSubjectBytes = 255
	maxBodyBytes    = 1 << 20
)

// kindHeader carries Message.Kind in outbox files, so the development page
// can show it. Real mail does not carry it.
const kindHeader = "X-Astral-Kind"

// kindPattern is what Message.Kind may look like: a short identifier, which
// cannot hold an address or a sentence.
var kindPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// envelope is a message that passed validation, ready to be written.
type envelope struct {
	from, to *mail.Address
	subject  string
	text     string
	html     string
	kind     string
}

// errInvalid builds the Invalid error for a message that can never be sent.
// why names the field at fault and never quotes its value.
func errInvalid(op, why string) error {
	return &errs.Error{Kind: errs.Invalid, Message: "error.email_invalid", Op: op, Err: errors.New(why)}
}

// prepare validates m for sending from from. Its errors are Invalid.
func prepare(op string, m Message, from *mail.Address) (*envelope, error) {
	if !kindPattern.MatchString(m.Kind) {
		// Not quoted: a Kind that fails the pattern may be anything.
		return nil, errInvalid(op, "kind is not a short lower-case identifier")
	}
	to, err := parseAddress(m.To.Reveal())
	if err != nil {
		return nil, errInvalid(op, "recipient: "+err.Error())
	}
	switch {
	case len(m.Subject) > maxSubjectBytes:
		return nil, errInvalid(op, fmt.Sprintf("subject is longer than %d bytes", maxSubjectBytes))
	case !utf8.ValidString(m.Subject) || strings.ContainsFunc(m.Subject, isControl):
		return nil, errInvalid(op, "subject has control characters or invalid UTF-8")
	case strings.TrimSpace(m.Text) == "":
		return nil, errInvalid(op, "text body is empty")
	case len(m.Text) > maxBodyBytes || len(m.HTML) > maxBodyBytes:
		return nil, errInvalid(op, fmt.Sprintf("a body is longer than %d bytes", maxBodyBytes))
	case !utf8.ValidString(m.Text) || !utf8.ValidString(m.HTML):
		return nil, errInvalid(op, "a body is not valid UTF-8")
	}
	return &envelope{from: from, to: to, subject: m.Subject, text: m.Text, html: m.HTML, kind: m.Kind}, nil
}

// parseAddress parses "addr" or "Name <addr>". The address itself must be
// ASCII: SMTPUTF8 is not universally supported, and RCPT TO must match the
// header. Its errors never quote s.
func parseAddress(s string) (*mail.Address, error) {
	if s == "" {
		return nil, errors.New("no address")
	}
	if strings.ContainsFunc(s, isControl) {
		return nil, errors.New("address has control characters")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, errors.New("not a valid address")
	}
	for _, r := range a.Address {
		if r >= utf8.RuneSelf {
			return nil, errors.New("address is not ASCII; use the punycode form of the domain")
		}
	}
	return a, nil
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }

// domainOf returns the domain of an address, for Message-ID.
func domainOf(a *mail.Address) string {
	if i := strings.LastIndexByte(a.Address, '@'); i >= 0 {
		return a.Address[i+1:]
	}
	return "localhost"
}

// encodeSubject RFC 2047-encodes a subject that is not plain ASCII (or that
// holds "=?", which a reader would take for the start of an encoded word) as
// Q-encoded UTF-8 words, folded so that every line stays under the 76
// characters RFC 2047 allows. A plain ASCII subject is left as it is.
func encodeSubject(s string) string {
	if !strings.Contains(s, "=?") && !strings.ContainsFunc(s, func(r rune) bool { return r >= utf8.RuneSelf }) {
		return s
	}
	const (
		prefix, suffix = "=?utf-8?q?", "?="
		maxWord        = 60 // "Subject: " plus a word stays within 76
	)
	var words []string
	var cur strings.Builder
	var buf [utf8.UTFMax]byte
	for _, r := range s {
		// Encode the whole rune together: a word must not split a character.
		var enc strings.Builder
		for _, b := range buf[:utf8.EncodeRune(buf[:], r)] {
			switch {
			case b == ' ':
				enc.WriteByte('_')
			case 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("!*+-/", b) >= 0:
				enc.WriteByte(b)
			default:
				fmt.Fprintf(&enc, "=%02X", b)
			}
		}
		if cur.Len() > 0 && len(prefix)+cur.Len()+enc.Len()+len(suffix) > maxWord {
			words = append(words, prefix+cur.String()+suffix)
			cur.Reset()
		}
		cur.WriteString(enc.String())
	}
	words = append(words, prefix+cur.String()+suffix)
	return strings.Join(words, "\r\n ")
}

// writeMessage writes e in RFC 5322 form with CRLF line endings: the headers
// (plus extra, in order), then a quoted-printable text/plain body, or a
// multipart/alternative of text and HTML when e has HTML. It is the only
// writer of messages, shared by Outbox and SMTP. The boundary is derived
// from id: "=_" cannot occur in quoted-printable text, so it never collides
// with a body.
func writeMessage(dst io.Writer, e *envelope, date time.Time, id string, extra ...[2]string) error {
	w := bufio.NewWriter(dst)
	header := func(name, value string) {
		fmt.Fprintf(w, "%s: %s\r\n", name, value)
	}
	header("Date", date.Format(time.RFC1123Z))
	header("Message-ID", "<"+id+"@"+domainOf(e.from)+">")
	header("From", e.from.String())
	header("To", e.to.String())
	header("Subject", encodeSubject(e.subject))
	header("MIME-Version", "1.0")
	for _, h := range extra {
		header(h[0], h[1])
	}
	if e.html == "" {
		header("Content-Type", "text/plain; charset=utf-8")
		header("Content-Transfer-Encoding", "quoted-printable")
		w.WriteString("\r\n")
		if err := writeQP(w, e.text); err != nil {
			return err
		}
		return w.Flush()
	}
	mw := multipart.NewWriter(w)
	if err := mw.SetBoundary("=_" + id); err != nil {
		return err
	}
	// Folded after the semicolon, to keep the line under 78 characters.
	header("Content-Type", "multipart/alternative;\r\n boundary=\""+mw.Boundary()+"\"")
	w.WriteString("\r\n")
	for _, p := range []struct{ typ, body string }{{"text/plain", e.text}, {"text/html", e.html}} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return err
		}
		if err := writeQP(pw, p.body); err != nil {
			return err
		}
	}
	if err := mw.Close(); err != nil {
		return err
	}
	return w.Flush()
}

// writeQP writes body quoted-printable, ending with a line break.
func writeQP(w io.Writer, body string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := io.WriteString(qp, body); err != nil {
		return err
	}
	if !strings.HasSuffix(body, "\n") {
		if _, err := io.WriteString(qp, "\r\n"); err != nil {
			return err
		}
	}
	return qp.Close()
}
