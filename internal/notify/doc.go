// Package notify sends email: invitations, password resets, security
// notices.
//
// Two Senders implement the same contract. Outbox writes every message as an
// .eml file in a directory, for development and tests; a development page
// lists and shows them. SMTP delivers through a relay over TLS (STARTTLS by
// default, implicit TLS on port 465, plain text only to a loopback relay),
// with the certificate always verified and AUTH PLAIN only after TLS. Both
// build the message with the same RFC 5322 writer (message.go).
//
// An email address is personal data, so Message.To is a phi.Text, and
// nothing here puts the address, the subject or the body into an error or a
// log line: errors name the operation, the message's opaque id and its Kind,
// and for an SMTP refusal only the reply code, never the server's text,
// which often quotes the address.
//
// cmd/astral picks the Sender from the configuration:
//
//	var sender notify.Sender
//	if cfg.SMTPHost == "" {
//		sender, err = notify.NewOutbox(cfg.OutboxDir(), time.Now)
//	} else {
//		sender, err = notify.NewSMTP(notify.SMTPConfig{
//			Host: cfg.SMTPHost, Port: cfg.SMTPPort, TLS: notify.TLSMode(cfg.SMTPTLS),
//			Username: cfg.SMTPUsername, Password: cfg.SMTPPassword.Reveal(),
//			From: cfg.SMTPFrom, CAFile: cfg.SMTPCACert, Logger: logger,
//		})
//	}
package notify

import (
	"context"

	"github.com/astralcore/astral/internal/phi"
)

// Message is one email to one recipient.
type Message struct {
	// To is the recipient, "addr@example.org" or "Name <addr@example.org>".
	// The address must be ASCII (an internationalised domain in its
	// punycode form).
	To phi.Text
	// Subject is one line of text; non-ASCII text is RFC 2047-encoded.
	Subject string
	// Text is the plain-text body. It is required: every message has one,
	// even when HTML is set.
	Text string
	// HTML is an optional HTML body, sent as the multipart/alternative
	// companion of Text.
	HTML string
	// Kind names what the message is for, such as "invitation" or "reset":
	// lower-case letters, digits and underscores. It is for logs and
	// metrics, so it must never carry personal data.
	Kind string
}

// Sender delivers messages.
//
// Send returns nil once the message is accepted for delivery (written to the
// outbox, or accepted by the SMTP relay). Otherwise its error has one of
// these kinds (package errs):
//   - Invalid: the message is refused for good and retrying will not help:
//     a malformed message or address, or a permanent (5xx) refusal of the
//     recipient or the content;
//   - Unavailable: it could not be delivered now but may be later: the relay
//     is unreachable, slow, refuses temporarily (4xx), or is misconfigured
//     (no STARTTLS, a certificate that does not verify, failed AUTH), or ctx
//     ended; the cause then wraps ctx's error;
//   - Internal: anything else, such as a full disk under the outbox.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

var (
	_ Sender = (*Outbox)(nil)
	_ Sender = (*SMTP)(nil)
)
