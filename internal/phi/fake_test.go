package phi_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/astralcore/astral/internal/phi"
	"github.com/astralcore/astral/internal/store"
	"github.com/astralcore/astral/internal/store/storetest"
)

var _ phi.KeyProvider = (*fakeProvider)(nil)

// fakeProvider is an in-memory KeyProvider: AES-256-GCM wrapping under
// versioned KEKs, honouring the interface's error contract, with switches
// for outages, slowness and failing after a number of rewraps.
type fakeProvider struct {
	mu       sync.Mutex
	keks     map[int][]byte
	latest   int
	min      int
	down     bool
	delay    time.Duration // every call takes this long
	deaf     bool          // the delay ignores ctx, like a hung server
	rewraps  int           // Rewrap calls left before failing; -1 is unlimited
	calls    map[string]int
	wrapAADs [][]byte
}

func newFakeProvider() *fakeProvider {
	p := &fakeProvider{keks: map[int][]byte{}, min: 1, rewraps: -1, calls: map[string]int{}}
	p.rotate()
	return p
}

func (p *fakeProvider) rotate() int {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	p.latest++
	p.keks[p.latest] = k
	return p.latest
}

// enter counts the call and applies the switches.
func (p *fakeProvider) enter(ctx context.Context, op string) error {
	p.mu.Lock()
	p.calls[op]++
	down, delay, deaf := p.down, p.delay, p.deaf
	p.mu.Unlock()
	if delay > 0 {
		if deaf {
			time.Sleep(delay)
		} else {
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return fmt.Errorf("fake: %w: %w", phi.ErrUnavailable, ctx.Err())
			}
		}
	}
	if down {
		return fmt.Errorf("fake: sealed: %w", phi.ErrUnavailable)
	}
	return nil
}

func (p *fakeProvider) count(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[op]
}

func (p *fakeProvider) set(fn func(p *fakeProvider)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(p)
}

func gcm(key []byte) cipher.AEAD {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		panic(err)
	}
	return a
}

// wrap seals dek under the latest KEK. p.mu is held.
func (p *fakeProvider) wrap(dek, aad []byte) phi.WrappedKey {
	nonce := make([]byte, 12)
	_, _ = rand.Read(nonce)
	return phi.WrappedKey{Version: p.latest, Ciphertext: gcm(p.keks[p.latest]).Seal(nonce, nonce, dek, aad)}
}

// unwrap opens w. p.mu is held.
func (p *fakeProvider) unwrap(w phi.WrappedKey, aad []byte) ([]byte, error) {
	kek, ok := p.keks[w.Version]
	if !ok || w.Version < p.min {
		return nil, fmt.Errorf("fake: version %d: %w", w.Version, phi.ErrKeyVersion)
	}
	if len(w.Ciphertext) < 12 {
		return nil, fmt.Errorf("fake: %w", phi.ErrUnwrap)
	}
	dek, err := gcm(kek).Open(nil, w.Ciphertext[:12], w.Ciphertext[12:], aad)
	if err != nil {
		return nil, fmt.Errorf("fake: %w", phi.ErrUnwrap)
	}
	return dek, nil
}

func (p *fakeProvider) Name() string { return "fake" }

func (p *fakeProvider) GenerateDataKey(ctx context.Context, aad []byte) ([]byte, phi.WrappedKey, error) {
	if err := p.enter(ctx, "GenerateDataKey"); err != nil {
		return nil, phi.WrappedKey{}, err
	}
	dek := make([]byte, 32)
	_, _ = rand.Read(dek)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.wrapAADs = append(p.wrapAADs, bytes.Clone(aad))
	return dek, p.wrap(dek, aad), nil
}

func (p *fakeProvider) Unwrap(ctx context.Context, w phi.WrappedKey, aad []byte) ([]byte, error) {
	if err := p.enter(ctx, "Unwrap"); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.unwrap(w, aad)
}

func (p *fakeProvider) Rewrap(ctx context.Context, w phi.WrappedKey, aad []byte) (phi.WrappedKey, error) {
	if err := p.enter(ctx, "Rewrap"); err != nil {
		return phi.WrappedKey{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rewraps == 0 {
		return phi.WrappedKey{}, fmt.Errorf("fake: connection reset: %w", phi.ErrUnavailable)
	}
	if p.rewraps > 0 {
		p.rewraps--
	}
	dek, err := p.unwrap(w, aad)
	if err != nil {
		return phi.WrappedKey{}, err
	}
	return p.wrap(dek, aad), nil
}

func (p *fakeProvider) Rotate(ctx context.Context) (int, error) {
	if err := p.enter(ctx, "Rotate"); err != nil {
		return 0, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rotate(), nil
}

func (p *fakeProvider) Status(ctx context.Context) (phi.ProviderStatus, error) {
	if err := p.enter(ctx, "Status"); err != nil {
		return phi.ProviderStatus{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	st := phi.ProviderStatus{Provider: "fake", LatestVersion: p.latest, MinDecryptionVersion: p.min}
	for v := p.min; v <= p.latest; v++ {
		st.Versions = append(st.Versions, v)
	}
	return st, nil
}

func (p *fakeProvider) SetMinDecryptionVersion(ctx context.Context, v int) error {
	if err := p.enter(ctx, "SetMinDecryptionVersion"); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if v < 1 || v > p.latest {
		return errors.New("fake: minimum decryption version out of range")
	}
	p.min = v
	return nil
}

func (p *fakeProvider) Ping(ctx context.Context) error { return p.enter(ctx, "Ping") }

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a Keyring over a fake provider and a real SQLite keystore.
type env struct {
	ring     *phi.Keyring
	provider *fakeProvider
	keys     *store.KeyDB
	log      *syncBuffer
	opts     phi.KeyringOptions
}

func newEnv(tb testing.TB, opts phi.KeyringOptions) *env {
	tb.Helper()
	e := &env{provider: newFakeProvider(), keys: storetest.NewKeyStoreSQLite(tb), log: &syncBuffer{}}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(e.log, nil))
	}
	e.opts = opts
	e.ring = phi.NewKeyring(e.provider, e.keys, opts)
	return e
}

// fresh returns another Keyring on the same provider and keystore, with a
// cold cache: a restarted process, or another replica.
func (e *env) fresh() *phi.Keyring { return phi.NewKeyring(e.provider, e.keys, e.opts) }

// liveKeys returns the number of live keys in the keystore.
func (e *env) liveKeys(tb testing.TB) int {
	tb.Helper()
	counts, err := e.keys.LiveKeyVersions(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// allKeyRows counts every row of data_keys, destroyed ones included.
func (e *env) allKeyRows(tb testing.TB) int {
	tb.Helper()
	var n int
	if err := e.keys.SQL().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM data_keys`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func mustSeal(tb testing.TB, r *phi.Keyring, owner phi.Owner, aad phi.AAD, plaintext string) []byte {
	tb.Helper()
	ct, err := r.Seal(context.Background(), owner, aad, []byte(plaintext))
	if err != nil {
		tb.Fatalf("Seal: %v", err)
	}
	return ct
}

func mustOpen(tb testing.TB, r *phi.Keyring, ct []byte, aad phi.AAD, want string) {
	tb.Helper()
	pt, err := r.Open(context.Background(), ct, aad)
	if err != nil {
		tb.Fatalf("Open(%+v): %v", aad, err)
	}
	if string(pt) != want {
		tb.Fatalf("Open(%+v) = %q, want %q", aad, pt, want)
	}
}
