package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"time"

	"github.com/astralcore/astral/internal/errs"
)

// outboxFrom is the sender of outbox messages: development mail goes
// nowhere, so it needs no real address.
var outboxFrom = &mail.Address{Name: "Astral Core", Address: "astral@localhost"}

// Outbox is the development Sender: it writes each message as one RFC 5322
// file, ID.eml, in its directory, which List and Read give back for a
// development page. The files hold addresses and bodies: the directory is
// mode 0700 and each file 0600, and it belongs under ASTRAL_DATA_DIR, never
// anywhere served to the web. An Outbox is safe for concurrent use.
type Outbox struct {
	dir string
	now func() time.Time
}

// NewOutbox returns an Outbox writing to dir, typically
// <ASTRAL_DATA_DIR>/outbox. It creates dir with mode 0700 when missing and
// narrows it to 0700 when it exists, since the files in it are personal
// data. now dates the messages; nil means time.Now. Errors are Invalid for an
// empty dir and Internal when the directory cannot be made.
func NewOutbox(dir string, now func() time.Time) (*Outbox, error) {
	const op = "notify.NewOutbox"
	if dir == "" {
		return nil, errs.Wrap(errors.New("no directory"), errs.Invalid, op)
	}
	if now == nil {
		now = time.Now
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, errs.Wrap(err, errs.Internal, op)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, errs.Wrap(err, errs.Internal, op)
	}
	return &Outbox{dir: dir, now: now}, nil
}

// Send validates m and writes it to the outbox. The file appears whole or
// not at all: it is written under a temporary name and renamed. Errors
// follow the Sender contract: Invalid for a bad message, Unavailable when
// ctx has ended, Internal when the file cannot be written.
func (o *Outbox) Send(ctx context.Context, m Message) (err error) {
	const op = "notify.Outbox.Send"
	if err := ctx.Err(); err != nil {
		return errs.Wrap(err, errs.Unavailable, op)
	}
	e, err := prepare(op, m, outboxFrom)
	if err != nil {
		return err
	}
	t := o.now()
	id := newID(t)
	var buf bytes.Buffer
	if err := writeMessage(&buf, e, t, id, [2]string{kindHeader, e.kind}); err != nil {
		return errs.Wrap(fmt.Errorf("message %s (%s): %w", id, e.kind, err), errs.Internal, op)
	}
	if err := o.write(id, buf.Bytes()); err != nil {
		return errs.Wrap(fmt.Errorf("message %s (%s): %w", id, e.kind, err), errs.Internal, op)
	}
	return nil
}

// write stores b as id.eml, atomically. os.CreateTemp makes the file with
// mode 0600. The temporary name does not match idPattern, so List never
// shows a half-written file.
func (o *Outbox) write(id string, b []byte) error {
	f, err := os.CreateTemp(o.dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, o.path(id))
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// path returns the file of a valid id.
func (o *Outbox) path(id string) string { return filepath.Join(o.dir, id+".eml") }
