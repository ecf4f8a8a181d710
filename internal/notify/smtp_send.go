package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/astralcore/astral/internal/errs"
)

// Send delivers m through the relay over one new connection: EHLO, STARTTLS
// (unless the mode is implicit or none), AUTH PLAIN when a username is set,
// MAIL, RCPT, DATA and QUIT. The connection's deadline is ctx's deadline or
// the configured timeout, whichever is sooner, and ending ctx aborts it.
// Errors follow the Sender contract: a permanent (5xx) refusal of the
// recipient or of the content is Invalid; every other failure, including a
// 5xx to EHLO, STARTTLS, AUTH or MAIL FROM (which concern the relay and our
// configuration, not this message), is Unavailable. They carry the message
// id, Kind, the step and the reply code, never the server's reply text.
func (s *SMTP) Send(ctx context.Context, m Message) (err error) {
	const op = "notify.SMTP.Send"
	e, err := prepare(op, m, s.from)
	if err != nil {
		return err
	}
	t := s.now()
	id := newID(t)
	var buf bytes.Buffer
	if err := writeMessage(&buf, e, t, id); err != nil {
		return errs.Wrap(fmt.Errorf("message %s (%s): %w", id, e.kind, err), errs.Internal, op)
	}

	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.deliver(ctx, e, buf.Bytes()); err != nil {
		var se *errs.Error
		if errors.As(err, &se) {
			se.Op = op
			se.Err = fmt.Errorf("message %s (%s): %w", id, e.kind, se.Err)
		}
		s.log.WarnContext(ctx, "email not sent", "id", id, "kind", e.kind, "error", err)
		return err
	}
	s.log.InfoContext(ctx, "email sent", "id", id, "kind", e.kind)
	return nil
}

// deliver runs the SMTP dialogue for one message.
func (s *SMTP) deliver(ctx context.Context, e *envelope, msg []byte) error {
	conn, err := s.dial(ctx)
	if err != nil {
		return classify(ctx, "connect", err)
	}
	// Deadlines on the connection make every read and write give up in
	// time; AfterFunc makes cancelling ctx do the same.
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		_ = conn.Close()
		return classify(ctx, "greeting", err)
	}
	defer c.Close()
	// quit ends the session politely after a refusal; it is best-effort.
	quit := func(err error) error {
		var te *textproto.Error
		if errors.As(err, &te) {
			_ = c.Quit()
		}
		return err
	}

	if err := c.Hello(s.hello); err != nil {
		return classify(ctx, "ehlo", err)
	}
	if s.mode == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			_ = c.Quit()
			return errs.Wrap(fmt.Errorf("starttls: %w", errNoSTARTTLS), errs.Unavailable, "")
		}
		if err := c.StartTLS(s.tls); err != nil {
			return quit(classify(ctx, "starttls", err))
		}
	}
	if s.username != "" {
		if err := s.auth(c); err != nil {
			return quit(classify(ctx, "auth", err))
		}
	}
	if err := c.Mail(e.from.Address); err != nil {
		return quit(classify(ctx, "mail", err))
	}
	if err := c.Rcpt(e.to.Address); err != nil {
		return quit(classify(ctx, "rcpt", err))
	}
	w, err := c.Data()
	if err != nil {
		return quit(classify(ctx, "data", err))
	}
	if _, err := w.Write(msg); err != nil {
		return classify(ctx, "data", err)
	}
	if err := w.Close(); err != nil {
		return quit(classify(ctx, "data", err))
	}
	// The relay has accepted the message: a failed QUIT cannot undo that.
	_ = c.Quit()
	return nil
}

// dial connects to the relay, with TLS from the start in implicit mode.
func (s *SMTP) dial(ctx context.Context) (net.Conn, error) {
	if s.mode == TLSImplicit {
		d := &tls.Dialer{Config: s.tls}
		return d.DialContext(ctx, "tcp", s.addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", s.addr)
}

// auth runs AUTH PLAIN. It checks TLS itself rather than relying on the
// server to refuse: the password must never cross in clear.
func (s *SMTP) auth(c *smtp.Client) error {
	if _, ok := c.TLSConnectionState(); !ok {
		return errors.New("refusing AUTH without TLS")
	}
	ok, mechs := c.Extension("AUTH")
	if !ok || !containsFold(strings.Fields(mechs), "PLAIN") {
		return errors.New("the server does not offer AUTH PLAIN")
	}
	return c.Auth(smtp.PlainAuth("", s.username, s.password, s.host))
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// enhancedCode finds an RFC 3463 status code, such as 5.1.1, at the start
// of a reply. It is the only part of the reply text an error keeps.
var enhancedCode = regexp.MustCompile(`^[245]\.[0-9]{1,3}\.[0-9]{1,3}`)

// classify turns a failure in step into the Sender contract's kinds. A
// timeout or a cancelled ctx wraps ctx's error (context.DeadlineExceeded for
// a connection deadline that passed first). An SMTP reply keeps only its
// codes: reply texts often quote the address.
func classify(ctx context.Context, step string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return errs.Wrap(fmt.Errorf("%s: %w", step, ctxErr), errs.Unavailable, "")
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return errs.Wrap(fmt.Errorf("%s: %w", step, context.DeadlineExceeded), errs.Unavailable, "")
	}
	var te *textproto.Error
	if !errors.As(err, &te) {
		return errs.Wrap(fmt.Errorf("%s: %w", step, err), errs.Unavailable, "")
	}
	reply := fmt.Sprintf("%s: server replied %d", step, te.Code)
	if code := enhancedCode.FindString(te.Msg); code != "" {
		reply += " " + code
	}
	kind := errs.Unavailable
	if te.Code >= 500 && (step == "rcpt" || step == "data") {
		kind = errs.Invalid
	}
	return &errs.Error{Kind: kind, Message: messageFor(kind), Err: errors.New(reply)}
}

// messageFor returns the safe message for a refusal.
func messageFor(k errs.Kind) string {
	if k == errs.Invalid {
		return "error.email_refused"
	}
	return ""
}
