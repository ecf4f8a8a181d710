// Package smtptest runs a real SMTP server on the loopback interface for
// tests: STARTTLS or implicit TLS with a certificate made for the test, AUTH
// PLAIN, scripted refusals, and a record of every message, every AUTH and
// every byte the clients sent. Import it from tests only.
package smtptest

import (
	"errors"
	"io"
	"log"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options shape a Server. The zero value offers STARTTLS, no AUTH and
// accepts every message.
type Options struct {
	// NoTLS makes the server offer no STARTTLS at all.
	NoTLS bool
	// Implicit makes the server speak TLS from the first byte, as on port
	// 465, instead of offering STARTTLS.
	Implicit bool
	// AllowInsecureAuth lets clients AUTH before TLS, so that a test can
	// show the client refuses to on its own.
	AllowInsecureAuth bool
	// Username and Password, when set, are the only AUTH PLAIN credentials
	// accepted, and MAIL needs a successful AUTH first.
	Username, Password string
	// RcptReply, when its Code is set, is the reply to every RCPT.
	RcptReply Reply
	// DataReply, when its Code is set, is the reply to the end of DATA.
	DataReply Reply
}

// Reply is a scripted SMTP refusal, such as {550, "5.1.1", "no such user"}.
type Reply struct {
	Code     int
	Enhanced string // "x.y.z", or "" for none
	Text     string
}

func (r Reply) err() error {
	if r.Code == 0 {
		return nil
	}
	e := &smtp.SMTPError{Code: r.Code, EnhancedCode: smtp.NoEnhancedCode, Message: r.Text}
	if p, ok := parseEnhanced(r.Enhanced); ok {
		e.EnhancedCode = p
	}
	return e
}

func parseEnhanced(s string) (smtp.EnhancedCode, bool) {
	var c smtp.EnhancedCode
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return c, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return c, false
		}
		c[i] = n
	}
	return c, true
}

// Message is one message the server accepted.
type Message struct {
	From string   // MAIL FROM
	To   []string // RCPT TO
	Data []byte   // the message as sent, CRLF line endings, dots unstuffed
	TLS  bool     // whether the session was under TLS
	User string   // the AUTH username, "" without AUTH
}

// Auth is one AUTH PLAIN attempt that reached the server's authenticator.
type Auth struct {
	Username string
	TLS      bool // whether TLS was on when the credentials arrived
	OK       bool
}

// Server is a running SMTP server. Its methods are safe for concurrent use.
type Server struct {
	Host   string // "127.0.0.1"
	Port   int
	Addr   string // Host:Port
	CAFile string // PEM file of the certificate to trust; see NewCert

	opts Options
	srv  *smtp.Server

	mu       sync.Mutex
	messages []Message
	auths    []Auth
	sessions int
	wire     []byte
}

// NewServer starts a server on 127.0.0.1 with a fresh certificate for
// 127.0.0.1 and localhost, and stops it when the test ends.
func NewServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	cert := NewCert(tb)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("smtptest: listen: %v", err)
	}
	s := &Server{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Addr: ln.Addr().String(), CAFile: cert.CAFile, opts: opts}
	var l net.Listener = &recordingListener{Listener: ln, s: s}

	s.srv = smtp.NewServer(smtp.BackendFunc(s.newSession))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = opts.AllowInsecureAuth
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	switch {
	case opts.Implicit:
		l = tlsListener(l, cert.Config)
	case !opts.NoTLS:
		s.srv.TLSConfig = cert.Config
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.srv.Serve(l)
	}()
	tb.Cleanup(func() {
		_ = s.srv.Close()
		<-done
	})
	return s
}

// Messages returns the messages accepted so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Auths returns the AUTH attempts so far, oldest first.
func (s *Server) Auths() []Auth {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Auth(nil), s.auths...)
}

// Sessions returns how many clients got as far as EHLO.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// Wire returns every byte clients sent, as it crossed the network: under
// TLS that is ciphertext, so a secret found here crossed in clear.
func (s *Server) Wire() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.wire...)
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	s.sessions++
	s.mu.Unlock()
	return &session{s: s, c: c}, nil
}

// session is one client's conversation.
type session struct {
	s    *Server
	c    *smtp.Conn
	user string
	msg  Message
}

func (se *session) tls() bool {
	_, ok := se.c.TLSConnectionState()
	return ok
}

// AuthMechanisms offers PLAIN when the server has credentials.
func (se *session) AuthMechanisms() []string {
	if se.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

// Auth checks PLAIN credentials and records the attempt.
func (se *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain || se.s.opts.Username == "" {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, username, password string) error {
		ok := username == se.s.opts.Username && password == se.s.opts.Password
		se.s.mu.Lock()
		se.s.auths = append(se.s.auths, Auth{Username: username, TLS: se.tls(), OK: ok})
		se.s.mu.Unlock()
		if !ok {
			return smtp.ErrAuthFailed
		}
		se.user = username
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.s.opts.Username != "" && se.user == "" {
		return smtp.ErrAuthRequired
	}
	se.msg = Message{From: from, TLS: se.tls(), User: se.user}
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := se.s.opts.RcptReply.err(); err != nil {
		return err
	}
	se.msg.To = append(se.msg.To, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := se.s.opts.DataReply.err(); err != nil {
		return err
	}
	if len(se.msg.To) == 0 {
		return errors.New("no recipient")
	}
	se.msg.Data = b
	se.s.mu.Lock()
	se.s.messages = append(se.s.messages, se.msg)
	se.s.mu.Unlock()
	se.msg = Message{}
	return nil
}

func (se *session) Reset()        { se.msg = Message{} }
func (se *session) Logout() error { return nil }
