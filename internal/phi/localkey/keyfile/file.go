package keyfile

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// fileDoc is the JSON form of a key file.
type fileDoc struct {
	Versions             []fileVersion `json:"versions"`
	MinDecryptionVersion int           `json:"min_decryption_version"`
}

type fileVersion struct {
	Version int    `json:"version"`
	Key     string `json:"key"`
	Created string `json:"created,omitempty"`
}

// Parse reads a key file's contents: the JSON document, or one base64 key
// (version 1). Its errors are sentence fragments that never quote the
// contents, for example "does not hold base64 of exactly 32 bytes".
func Parse(data []byte) (*Set, error) {
	text := strings.TrimSpace(string(data))
	if !strings.HasPrefix(text, "{") {
		k, err := DecodeKey(text)
		if err != nil {
			return nil, errors.New("does not hold base64 of exactly 32 bytes, nor a JSON key document")
		}
		return &Set{Versions: []Version{{Version: 1, Key: k}}, MinDecryptionVersion: 1}, nil
	}

	var doc fileDoc
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("is not a valid key document: %s", jsonProblem(err))
	}
	if dec.More() {
		return nil, errors.New("is not a valid key document: text after the JSON object")
	}
	s := &Set{MinDecryptionVersion: doc.MinDecryptionVersion}
	for _, fv := range doc.Versions {
		k, err := DecodeKey(fv.Key)
		if err != nil {
			return nil, fmt.Errorf("version %d: key %v", fv.Version, err)
		}
		v := Version{Version: fv.Version, Key: k}
		if fv.Created != "" {
			t, err := time.Parse(time.RFC3339, fv.Created)
			if err != nil {
				return nil, fmt.Errorf("version %d: created is not an RFC 3339 time", fv.Version)
			}
			v.Created = t
		}
		s.Versions = append(s.Versions, v)
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// jsonProblem describes a decoding error without quoting the input: the
// standard library's messages can include a character of it, or a field name.
func jsonProblem(err error) string {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return fmt.Sprintf("field %s has the wrong type", te.Field)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "unexpected end of the document"
	}
	if strings.HasPrefix(err.Error(), "json: unknown field") {
		return "unknown field (allowed: versions, min_decryption_version; per version: version, key, created)"
	}
	return "cannot be decoded"
}

// Marshal encodes s as the JSON key document, keys in standard base64.
func (s *Set) Marshal() ([]byte, error) {
	c := s.Clone()
	if err := c.validate(); err != nil {
		return nil, err
	}
	doc := fileDoc{MinDecryptionVersion: c.MinDecryptionVersion}
	for _, v := range c.Versions {
		fv := fileVersion{Version: v.Version, Key: base64.StdEncoding.EncodeToString(v.Key)}
		if !v.Created.IsZero() {
			fv.Created = v.Created.UTC().Format(time.RFC3339)
		}
		doc.Versions = append(doc.Versions, fv)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, errors.New("cannot encode the key document")
	}
	return append(b, '\n'), nil
}

// ReadFile opens, checks and parses a key file. It refuses a file that group
// or others may access (on systems with Unix permissions) and reads at most
// MaxFileSize bytes. Error messages are sentence fragments that do not name
// the path, so callers can quote it once: "cannot be opened: no such file or
// directory", "is accessible by group or others (mode 0644); run: chmod 600 FILE".
// It also returns the file's FileInfo so callers can notice later changes.
func ReadFile(path string) (*Set, fs.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, errors.New("cannot be opened: " + pathErr(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, errors.New("cannot be read: " + pathErr(err))
	}
	if err := CheckMode(info.Mode()); err != nil {
		return nil, nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, nil, errors.New("cannot be read: " + pathErr(err))
	}
	if len(b) > MaxFileSize {
		return nil, nil, fmt.Errorf("is larger than %d KiB; is it the right file?", MaxFileSize>>10)
	}
	s, err := Parse(b)
	if err != nil {
		return nil, nil, err
	}
	return s, info, nil
}

// CheckMode returns an error if mode lets group or others read, write or
// execute the file. Windows has no such bits, so it always passes there.
func CheckMode(mode fs.FileMode) error {
	if runtime.GOOS == "windows" || mode.IsDir() || mode.Perm()&0o077 == 0 {
		return nil
	}
	return fmt.Errorf("is accessible by group or others (mode %04o); run: chmod 600 FILE", mode.Perm())
}

// pathErr returns the cause of a file error without the path.
func pathErr(err error) string {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// WriteFile replaces path with s atomically: it writes a temporary file in
// the same directory with mode 0600, syncs it, renames it over path and syncs
// the directory. A crash leaves either the old file or the new one, plus at
// worst a stray temporary file that nothing reads.
func WriteFile(path string, s *Set) error {
	return write(path, s, os.Rename)
}

// CreateFile writes s to path like WriteFile but fails with an error wrapping
// fs.ErrExist if path already exists, so two processes creating the same file
// cannot overwrite each other's key.
func CreateFile(path string, s *Set) error {
	return write(path, s, func(tmp, path string) error {
		if err := os.Link(tmp, path); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fs.ErrExist
			}
			return err
		}
		return os.Remove(tmp)
	})
}

func write(path string, s *Set, publish func(tmp, path string) error) (err error) {
	data, err := s.Marshal()
	if err != nil {
		return err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary key file: %s", pathErr(err))
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return fmt.Errorf("chmod temporary key file: %s", pathErr(err))
	}
	if _, err = io.Copy(f, bytes.NewReader(data)); err != nil {
		return fmt.Errorf("write temporary key file: %s", pathErr(err))
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync temporary key file: %s", pathErr(err))
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close temporary key file: %s", pathErr(err))
	}
	if err = publish(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("key file already exists: %w", fs.ErrExist)
		}
		return fmt.Errorf("replace key file: %s", pathErr(err))
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable. Some systems cannot sync a
// directory; that is not an error worth failing a write for.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	if err := d.Sync(); err != nil && runtime.GOOS != "windows" && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("sync key directory: %s", pathErr(err))
	}
	return nil
}
