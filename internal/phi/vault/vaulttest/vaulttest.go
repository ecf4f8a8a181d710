// Package vaulttest is an in-test HTTP server that implements the part of the
// HashiCorp Vault / OpenBao HTTP API that package vault uses: the Transit
// secrets engine's datakey, decrypt, rewrap, key read/create, rotate and key
// config endpoints, and sys/health.
//
// No Vault or OpenBao server can be installed where Astral Core's tests run,
// so this server reproduces Transit's documented behaviour, and where the
// documentation is silent, the behaviour of Transit's source
// (builtin/logical/transit and sdk/helper/keysutil): the {"data":{...}}
// and {"errors":[...]} envelopes, "vault:vN:base64(nonce‖ciphertext)"
// ciphertexts under AES-256-GCM, per-context HKDF-SHA256 key derivation for
// derived keys (and silently ignoring context for keys that are not derived),
// latest/min_decryption_version enforcement with Transit's exact error
// strings, rewrap answering 500 for a ciphertext that fails authentication,
// "Endpoint ignored these unrecognized parameters" warnings, path-based token
// policies with 403 {"errors":["permission denied"]}, and a seal switch.
//
// It does not implement anything else: no other key types' cryptography, no
// batch_input, no convergent encryption, no key deletion, trimming, export,
// backup or auto-rotation, no token TTLs or renewal, no namespaces, no audit
// devices, no HA request forwarding. Passing against it shows the client
// speaks the protocol as written down; it does not prove a given Vault or
// OpenBao release behaves identically.
package vaulttest

import (
	"crypto/x509"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// RootToken is allowed everything, like a Vault root token.
const RootToken = "vaulttest-root-token"

// Server is a fake Vault. Its methods are safe for concurrent use.
type Server struct {
	srv      *httptest.Server
	mount    string
	requests atomic.Int64
	closing  chan struct{}
	close    sync.Once

	mu       sync.Mutex
	keys     map[string]*key
	policies map[string]Policy // token → policy; nil policy means root
	sealed   bool
	standby  bool
	latency  time.Duration
}

// Policy lists, per API path below /v1/ (such as
// "transit/datakey/plaintext/astral"), the capabilities a token holds:
// "create", "read", "update". A path ending in "*" matches any path with that
// prefix, as in Vault's policy language.
type Policy map[string][]string

// New starts a TLS server with a transit engine mounted at "transit" and
// closes it when the test ends. The root token is RootToken.
func New(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{
		mount:    "transit",
		keys:     map[string]*key{},
		policies: map[string]Policy{RootToken: nil},
		closing:  make(chan struct{}),
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	// Clients that distrust the certificate are tested on purpose.
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.StartTLS()
	tb.Cleanup(s.Close)
	return s
}

// URL returns the server's address, like VAULT_ADDR.
func (s *Server) URL() *url.URL {
	u, _ := url.Parse(s.srv.URL)
	return u
}

// Certificate returns the server's self-signed certificate, for a PEM file
// such as ASTRAL_VAULT_CACERT names.
func (s *Server) Certificate() *x509.Certificate { return s.srv.Certificate() }

// CAPool returns a pool holding the server's self-signed certificate.
func (s *Server) CAPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(s.srv.Certificate())
	return p
}

// Close stops the server, ending any delayed answers; later requests fail
// to connect.
func (s *Server) Close() {
	s.close.Do(func() {
		close(s.closing)
		s.srv.Close()
	})
}

// KeyOptions are the settings of a transit key that matter here.
type KeyOptions struct {
	Type                 string // default "aes256-gcm96"; only it can encrypt here
	Derived              bool
	Exportable           bool
	AllowPlaintextBackup bool
}

// CreateKey creates a transit key with version 1, like
// "vault write transit/keys/NAME derived=true".
func (s *Server) CreateKey(name string, opts KeyOptions) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[name] = newKey(opts)
}

// AddToken makes token valid with the given policy.
func (s *Server) AddToken(token string, p Policy) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.policies[token] = p
}

// Seal makes every endpoint answer 503, as a sealed Vault does.
func (s *Server) Seal() { s.set(func() { s.sealed = true }) }

// Unseal undoes Seal.
func (s *Server) Unseal() { s.set(func() { s.sealed = false }) }

// SetStandby makes sys/health answer 429, as a standby node does.
func (s *Server) SetStandby(on bool) { s.set(func() { s.standby = on }) }

// SetLatency delays every answer by d, or until the client gives up.
func (s *Server) SetLatency(d time.Duration) { s.set(func() { s.latency = d }) }

// Requests returns how many requests the server has received.
func (s *Server) Requests() int64 { return s.requests.Load() }

// KeyVersions returns a key's latest and minimum decryption versions.
func (s *Server) KeyVersions(name string) (latest, minDecryption int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys[name]
	if k == nil {
		return 0, 0
	}
	return k.latest, k.minDecryption
}

func (s *Server) set(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}
