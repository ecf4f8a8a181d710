package notify

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/astralcore/astral/internal/errs"
	"github.com/astralcore/astral/internal/phi"
)

// OutboxEntry describes one message in the outbox, for a list.
type OutboxEntry struct {
	ID      string    // the message id: safe to log, and the argument of Read
	Time    time.Time // when it was written, in UTC
	To      phi.Text  // the recipient's address, without a display name
	Subject string    // decoded from RFC 2047
	Kind    string    // Message.Kind
}

// OutboxMessage is one message with its bodies, for a page that shows it.
type OutboxMessage struct {
	OutboxEntry
	Text string // the plain-text body, with \n line endings
	HTML string // the HTML body, "" when the message had none
	Raw  []byte // the whole .eml file, for a "view source" link
}

// List returns the newest limit messages in the outbox, newest first (ids
// written at the same instant in any order); limit <= 0 means all of them. A file whose headers cannot be parsed is listed
// with only its ID and Time. Errors are Unavailable when ctx has ended and
// Internal when the directory cannot be read.
func (o *Outbox) List(ctx context.Context, limit int) ([]OutboxEntry, error) {
	const op = "notify.Outbox.List"
	dirents, err := os.ReadDir(o.dir)
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, op)
	}
	var ids []string
	for _, d := range dirents {
		id, ok := strings.CutSuffix(d.Name(), ".eml")
		if ok && d.Type().IsRegular() && idPattern.MatchString(id) {
			ids = append(ids, id)
		}
	}
	// ReadDir sorts by name, and ids sort by time.
	slices.Reverse(ids)
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	entries := make([]OutboxEntry, 0, len(ids))
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, errs.Wrap(err, errs.Unavailable, op)
		}
		e, err := o.entry(id)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since ReadDir
		}
		if err != nil {
			return nil, errs.Wrap(fmt.Errorf("message %s: %w", id, err), errs.Internal, op)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// entry reads the headers of one file.
func (o *Outbox) entry(id string) (OutboxEntry, error) {
	f, err := os.Open(o.path(id))
	if err != nil {
		return OutboxEntry{}, err
	}
	defer f.Close()
	msg, err := mail.ReadMessage(bufio.NewReader(f))
	if err != nil {
		t, _ := idTime(id)
		return OutboxEntry{ID: id, Time: t}, nil
	}
	return entryOf(id, msg.Header), nil
}

// Read returns the message id with its bodies. An id that is not of the
// shape Send makes, such as one with a path separator, is NotFound without
// touching the file system, as is an id with no file. Other errors are
// Unavailable when ctx has ended and Internal when the file cannot be read or
// parsed.
func (o *Outbox) Read(ctx context.Context, id string) (OutboxMessage, error) {
	const op = "notify.Outbox.Read"
	if !idPattern.MatchString(id) {
		return OutboxMessage{}, &errs.Error{Kind: errs.NotFound, Op: op, Err: errors.New("not a message id")}
	}
	if err := ctx.Err(); err != nil {
		return OutboxMessage{}, errs.Wrap(err, errs.Unavailable, op)
	}
	raw, err := os.ReadFile(o.path(id))
	if errors.Is(err, fs.ErrNotExist) {
		return OutboxMessage{}, &errs.Error{Kind: errs.NotFound, Op: op, Err: fmt.Errorf("message %s: no such file", id)}
	}
	if err != nil {
		return OutboxMessage{}, errs.Wrap(err, errs.Internal, op)
	}
	m, err := parseMessage(id, raw)
	if err != nil {
		return OutboxMessage{}, errs.Wrap(fmt.Errorf("message %s: %w", id, err), errs.Internal, op)
	}
	return m, nil
}

// entryOf reads an entry from the headers writeMessage wrote.
func entryOf(id string, h mail.Header) OutboxEntry {
	e := OutboxEntry{ID: id, Kind: h.Get(kindHeader)}
	e.Time, _ = idTime(id)
	if s, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); err == nil {
		e.Subject = s
	}
	if a, err := mail.ParseAddress(h.Get("To")); err == nil {
		e.To = phi.NewText(a.Address)
	}
	return e
}

// parseMessage splits a message writeMessage wrote into headers and bodies.
func parseMessage(id string, raw []byte) (OutboxMessage, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return OutboxMessage{}, err
	}
	m := OutboxMessage{OutboxEntry: entryOf(id, msg.Header), Raw: raw}
	typ, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return OutboxMessage{}, err
	}
	switch typ {
	case "text/plain":
		var body io.Reader = msg.Body
		if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(body)
		}
		m.Text, err = readText(body)
		return m, err
	case "multipart/alternative":
		mr := multipart.NewReader(msg.Body, params["boundary"])
		for {
			// NextPart decodes quoted-printable parts itself.
			p, err := mr.NextPart()
			if err == io.EOF {
				return m, nil
			}
			if err != nil {
				return OutboxMessage{}, err
			}
			ptyp, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
			s, err := readText(p)
			if err != nil {
				return OutboxMessage{}, err
			}
			switch ptyp {
			case "text/plain":
				m.Text = s
			case "text/html":
				m.HTML = s
			}
		}
	}
	return OutboxMessage{}, fmt.Errorf("unexpected content type %q", typ)
}

// readText reads a body and turns its CRLF line endings into \n.
func readText(r io.Reader) (string, error) {
	b, err := io.ReadAll(r)
	return strings.ReplaceAll(string(b), "\r\n", "\n"), err
}
