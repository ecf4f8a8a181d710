package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// staticAssets serves the embedded CSS, JavaScript and images. URLs carry a
// content hash so browsers may cache them for a year and still see changes.
type staticAssets struct {
	fsys   fs.FS
	hashes map[string]string // name → short content hash
	files  http.Handler
}

func newStaticAssets(root fs.FS) (*staticAssets, error) {
	sub, err := fs.Sub(root, "static")
	if err != nil {
		return nil, fmt.Errorf("web: static: %w", err)
	}
	s := &staticAssets{fsys: sub, hashes: make(map[string]string)}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		s.hashes[p] = hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: index static: %w", err)
	}
	s.files = http.FileServerFS(sub)
	return s, nil
}

// url returns the cache-busting URL of a static file. An unknown name panics
// at template execution, which the template test catches.
func (s *staticAssets) url(name string) (string, error) {
	h, ok := s.hashes[name]
	if !ok {
		return "", fmt.Errorf("web: no static file %q", name)
	}
	return "/static/" + name + "?v=" + h, nil
}

// ServeStatic serves GET /static/{path...}. Directory listings are refused.
func (h *Handler) ServeStatic(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("path")
	if _, ok := h.static.hashes[path.Clean(name)]; !ok || strings.HasSuffix(name, "/") {
		return errNotFound
	}
	if r.URL.Query().Get("v") == h.static.hashes[name] {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=300")
	}
	r2 := *r
	u := *r.URL
	u.Path = "/" + name
	r2.URL = &u
	h.static.files.ServeHTTP(w, &r2)
	return nil
}
