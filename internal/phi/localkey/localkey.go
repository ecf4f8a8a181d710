// Package localkey is the local key-encryption-key provider: a versioned set
// of 256-bit master keys held by the Astral Core process itself, from
// ASTRAL_MASTER_KEY or from the file ASTRAL_MASTER_KEY_FILE names (formats in
// package keyfile).
//
// It wraps data keys with AES-256-GCM under a master key version, binding the
// caller's associated data. Keys from a file can be rotated and retired, and
// the change is written back atomically; keys from the environment are
// read-only, and the operator rotates by editing the variable.
//
// A provider over a file notices when another process (the astral keys
// commands) replaces the file, and reloads it before the next operation, so a
// running server picks up a rotation or retirement without a restart. If the
// file becomes unreadable, every operation fails with phi.ErrUnavailable:
// no key, no PHI.
//
// The local provider suits a single-server practice. The KEK then lives on
// the same machine as the data, which SECURITY.md §32 and the HHS breach
// guidance advise against; production deployments that can run Vault or
// OpenBao should use package vault instead.
package localkey

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/astralcore/astral/internal/phi"
	"github.com/astralcore/astral/internal/phi/localkey/keyfile"
)

// Provider is the local KeyProvider. It is safe for concurrent use.
type Provider struct {
	path string // "" when the keys came from the environment
	now  func() time.Time

	mu   sync.Mutex
	set  *keyfile.Set
	info fs.FileInfo // of the file set was read from; nil for the environment
}

var _ phi.KeyProvider = (*Provider)(nil)

// FromEnv returns a provider over the value of ASTRAL_MASTER_KEY: one base64
// key (version 1) or "1:BASE64,2:BASE64". Its error never contains key
// material.
func FromEnv(value string) (*Provider, error) {
	s, err := keyfile.ParseEnv(value)
	if err != nil {
		return nil, fmt.Errorf("localkey: ASTRAL_MASTER_KEY %v", err)
	}
	return &Provider{set: s, now: time.Now}, nil
}

// Open returns a provider over the key file at path. It refuses a file that
// group or others can access. The error quotes the path, never the contents.
func Open(path string) (*Provider, error) {
	s, info, err := keyfile.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("localkey: key file %q %v", path, err)
	}
	return &Provider{path: path, set: s, info: info, now: time.Now}, nil
}

// DevKeyFile is the name of the development key file inside the data
// directory.
const DevKeyFile = "master-key.json"

// OpenOrCreateDev returns a provider over dataDir/master-key.json, creating
// that file with a fresh random key (mode 0600) the first time, and logging a
// loud warning whenever the development key is used.
//
// Only development may call it: cmd/astral calls it when ASTRAL_ENV is
// development and neither ASTRAL_MASTER_KEY nor ASTRAL_MASTER_KEY_FILE is
// set, and config.Load already refuses a production configuration without a
// key. It takes no environment argument on purpose: the one caller decides,
// and the refusal stays in the one place that validates configuration. A
// generated key sits next to the database it protects, so it protects
// nothing against anyone who can read the data directory.
func OpenOrCreateDev(dataDir string, log *slog.Logger) (*Provider, error) {
	path := filepath.Join(dataDir, DevKeyFile)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("localkey: create data directory %q: %w", dataDir, err)
	}
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		s, err := newSet(time.Now())
		if err != nil {
			return nil, err
		}
		switch err := keyfile.CreateFile(path, s); {
		case err == nil:
			log.Warn("development master key generated; never use in production: set ASTRAL_MASTER_KEY_FILE or ASTRAL_KMS=vault",
				"path", path)
		case errors.Is(err, fs.ErrExist):
			// Another process created it first; use theirs.
		default:
			return nil, fmt.Errorf("localkey: create development key file %q: %v", path, err)
		}
	}
	p, err := Open(path)
	if err != nil {
		return nil, err
	}
	log.Warn("using the development master key; never use in production", "path", path)
	return p, nil
}

// newSet returns a key set with one fresh version 1.
func newSet(now time.Time) (*keyfile.Set, error) {
	k, err := newKey()
	if err != nil {
		return nil, err
	}
	return &keyfile.Set{
		Versions:             []keyfile.Version{{Version: 1, Key: k, Created: now.UTC().Truncate(time.Second)}},
		MinDecryptionVersion: 1,
	}, nil
}

func newKey() (keyfile.Key, error) {
	k := make([]byte, keyfile.KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("localkey: read random key: %w", err)
	}
	return k, nil
}

// Name returns "local".
func (p *Provider) Name() string { return "local" }

// current returns the key set, reloading the file first if another process
// replaced it. A file that cannot be read any more makes the provider
// unavailable rather than silently keeping stale keys.
func (p *Provider) current(ctx context.Context) (*keyfile.Set, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("localkey: %w: %w", phi.ErrUnavailable, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.reloadLocked(); err != nil {
		return nil, err
	}
	return p.set, nil
}

// reloadLocked re-reads the key file if it changed since the last read.
func (p *Provider) reloadLocked() error {
	if p.path == "" {
		return nil
	}
	info, err := os.Stat(p.path)
	if err == nil && os.SameFile(info, p.info) && info.ModTime().Equal(p.info.ModTime()) &&
		info.Size() == p.info.Size() && info.Mode() == p.info.Mode() {
		return nil
	}
	s, info, err := keyfile.ReadFile(p.path)
	if err != nil {
		return fmt.Errorf("localkey: %w: key file %q %v", phi.ErrUnavailable, p.path, err)
	}
	p.set, p.info = s, info
	return nil
}

// GenerateDataKey returns 32 random bytes and their wrapping under the
// latest master key version.
func (p *Provider) GenerateDataKey(ctx context.Context, aad []byte) ([]byte, phi.WrappedKey, error) {
	s, err := p.current(ctx)
	if err != nil {
		return nil, phi.WrappedKey{}, err
	}
	dek := make([]byte, keyfile.KeySize)
	if _, err := rand.Read(dek); err != nil {
		return nil, phi.WrappedKey{}, fmt.Errorf("localkey: read random data key: %w", err)
	}
	w, err := wrap(s, dek, aad)
	if err != nil {
		return nil, phi.WrappedKey{}, err
	}
	return dek, w, nil
}

// Unwrap returns the plaintext of a wrapped data key. A version that is
// unknown or below the minimum decryption version gives phi.ErrKeyVersion;
// a ciphertext that fails authentication (tampered, or other aad) gives
// phi.ErrUnwrap.
func (p *Provider) Unwrap(ctx context.Context, w phi.WrappedKey, aad []byte) ([]byte, error) {
	s, err := p.current(ctx)
	if err != nil {
		return nil, err
	}
	return unwrap(s, w, aad)
}

// Rewrap unwraps w and wraps its data key again under the latest version.
// The plaintext never leaves this process, which is the provider.
func (p *Provider) Rewrap(ctx context.Context, w phi.WrappedKey, aad []byte) (phi.WrappedKey, error) {
	s, err := p.current(ctx)
	if err != nil {
		return phi.WrappedKey{}, err
	}
	dek, err := unwrap(s, w, aad)
	if err != nil {
		return phi.WrappedKey{}, err
	}
	defer clear(dek)
	return wrap(s, dek, aad)
}

// Status reports the master key versions.
func (p *Provider) Status(ctx context.Context) (phi.ProviderStatus, error) {
	s, err := p.current(ctx)
	if err != nil {
		return phi.ProviderStatus{}, err
	}
	st := phi.ProviderStatus{Provider: p.Name(), LatestVersion: s.Latest(), MinDecryptionVersion: s.MinDecryptionVersion}
	for _, v := range s.Versions {
		if v.Version >= s.MinDecryptionVersion {
			st.Versions = append(st.Versions, v.Version)
		}
	}
	return st, nil
}

// Ping succeeds while the keys are loaded: the provider is this process. For
// a key file it also notices a file that became unreadable.
func (p *Provider) Ping(ctx context.Context) error {
	_, err := p.current(ctx)
	return err
}

// errReadOnly explains why keys from the environment cannot change.
func errReadOnly(what string) error {
	return fmt.Errorf("localkey: the master keys come from ASTRAL_MASTER_KEY, which this process cannot change; %s", what)
}

// Rotate adds version latest+1 with a fresh random key and writes the file.
// Keys from the environment cannot be rotated here.
func (p *Provider) Rotate(ctx context.Context) (int, error) {
	if p.path == "" {
		return 0, errReadOnly("to rotate, append a version to the variable (1:OLD,2:NEW) and restart, or switch to ASTRAL_MASTER_KEY_FILE")
	}
	return p.update(ctx, func(s *keyfile.Set) (int, error) {
		k, err := newKey()
		if err != nil {
			return 0, err
		}
		v := s.Latest() + 1
		s.Versions = append(s.Versions, keyfile.Version{Version: v, Key: k, Created: p.now().UTC().Truncate(time.Second)})
		return v, nil
	})
}

// SetMinDecryptionVersion retires every version below v and writes the file.
// v must be between 1 and the latest version; lowering it again un-retires,
// because the file keeps retired keys (as Vault does).
func (p *Provider) SetMinDecryptionVersion(ctx context.Context, v int) error {
	if p.path == "" {
		return errReadOnly(fmt.Sprintf("to retire versions below %d, remove them from the variable and restart", v))
	}
	_, err := p.update(ctx, func(s *keyfile.Set) (int, error) {
		if v < 1 || v > s.Latest() {
			return 0, fmt.Errorf("localkey: minimum decryption version %d is outside 1..%d (the latest version): %w", v, s.Latest(), phi.ErrKeyVersion)
		}
		s.MinDecryptionVersion = v
		return v, nil
	})
	return err
}

// update applies change to a copy of the freshest key set and writes it.
// Two processes updating at the same moment can still lose one update; the
// astral keys commands are run by one operator at a time.
func (p *Provider) update(ctx context.Context, change func(*keyfile.Set) (int, error)) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("localkey: %w: %w", phi.ErrUnavailable, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.reloadLocked(); err != nil {
		return 0, err
	}
	s := p.set.Clone()
	n, err := change(s)
	if err != nil {
		return 0, err
	}
	if err := keyfile.WriteFile(p.path, s); err != nil {
		return 0, fmt.Errorf("localkey: key file %q: %v", p.path, err)
	}
	// Read back what was written, so the FileInfo matches the new file.
	s, info, err := keyfile.ReadFile(p.path)
	if err != nil {
		return 0, fmt.Errorf("localkey: %w: key file %q %v", phi.ErrUnavailable, p.path, err)
	}
	p.set, p.info = s, info
	return n, nil
}

// Wrapped key layout: format byte, version (uint32, big endian), GCM nonce,
// then the sealed data key. The 5-byte header is part of the GCM associated
// data, ahead of the caller's aad, so neither the version nor the format can
// be changed without failing authentication.
const (
	format1    = 1
	headerSize = 5
	nonceSize  = 12
	wrappedLen = headerSize + nonceSize + keyfile.KeySize + 16
)

func wrap(s *keyfile.Set, dek, aad []byte) (phi.WrappedKey, error) {
	v := s.Latest()
	k, _ := s.Key(v)
	gcm, err := newGCM(k)
	if err != nil {
		return phi.WrappedKey{}, err
	}
	out := make([]byte, headerSize+nonceSize, wrappedLen)
	out[0] = format1
	binary.BigEndian.PutUint32(out[1:headerSize], uint32(v))
	if _, err := rand.Read(out[headerSize:]); err != nil {
		return phi.WrappedKey{}, fmt.Errorf("localkey: read random nonce: %w", err)
	}
	out = gcm.Seal(out, out[headerSize:], dek, additional(out[:headerSize], aad))
	return phi.WrappedKey{Version: v, Ciphertext: out}, nil
}

func unwrap(s *keyfile.Set, w phi.WrappedKey, aad []byte) ([]byte, error) {
	k, ok := s.Key(w.Version)
	if !ok || w.Version < s.MinDecryptionVersion {
		return nil, fmt.Errorf("localkey: version %d (minimum %d, latest %d): %w", w.Version, s.MinDecryptionVersion, s.Latest(), phi.ErrKeyVersion)
	}
	c := w.Ciphertext
	if len(c) != wrappedLen || c[0] != format1 || binary.BigEndian.Uint32(c[1:headerSize]) != uint32(w.Version) {
		return nil, fmt.Errorf("localkey: version %d: malformed wrapped key: %w", w.Version, phi.ErrUnwrap)
	}
	gcm, err := newGCM(k)
	if err != nil {
		return nil, err
	}
	dek, err := gcm.Open(nil, c[headerSize:headerSize+nonceSize], c[headerSize+nonceSize:], additional(c[:headerSize], aad))
	if err != nil {
		return nil, fmt.Errorf("localkey: version %d: %w", w.Version, phi.ErrUnwrap)
	}
	return dek, nil
}

func additional(header, aad []byte) []byte {
	return append(append(make([]byte, 0, len(header)+len(aad)), header...), aad...)
}

func newGCM(k []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(k)
	if err != nil {
		return nil, errors.New("localkey: bad master key length")
	}
	return cipher.NewGCM(b)
}
