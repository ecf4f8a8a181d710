package smtptest

import (
	"crypto/tls"
	"net"
)

// recordingListener records every byte its connections read, before any
// TLS layered above it decrypts them.
type recordingListener struct {
	net.Listener
	s *Server
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: c, s: l.s}, nil
}

type recordingConn struct {
	net.Conn
	s *Server
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.s.mu.Lock()
		c.s.wire = append(c.s.wire, p[:n]...)
		c.s.mu.Unlock()
	}
	return n, err
}

// tlsListener makes l speak TLS from the first byte.
func tlsListener(l net.Listener, cfg *tls.Config) net.Listener { return tls.NewListener(l, cfg) }
