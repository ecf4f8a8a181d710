package password

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed" // for the common password list
	"fmt"
	"strings"
	"sync"
)

// commonGz is the bundled list of common passwords: gzip, one lowercase
// password per line, most common first. COMMON_PASSWORDS_SOURCE.md says
// where it comes from.
//
//go:embed common-passwords.txt.gz
var commonGz []byte

// common is the list loaded into a set at first use. It is written once,
// under sync.Once, and only read afterwards: not configuration, just a cache
// of embedded data.
var common struct {
	once sync.Once
	set  map[string]struct{}
	err  error
}

// commonSet returns the loaded list, loading it on first call.
func commonSet() (map[string]struct{}, error) {
	common.once.Do(func() { common.set, common.err = loadCommon(commonGz) })
	return common.set, common.err
}

// loadCommon decompresses and parses a list in the bundled format.
func loadCommon(gz []byte) (map[string]struct{}, error) {
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("password: reading common password list: %w", err)
	}
	set := make(map[string]struct{}, 50000)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			set[line] = struct{}{}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("password: reading common password list: %w", err)
	}
	if err := r.Close(); err != nil {
		return nil, fmt.Errorf("password: reading common password list: %w", err)
	}
	return set, nil
}

// isCommon reports whether password, ignoring case, is on the bundled list.
// The error is the list's load error, which would be a build defect.
func isCommon(password string) (bool, error) {
	set, err := commonSet()
	if err != nil {
		return false, err
	}
	_, ok := set[strings.ToLower(password)]
	return ok, nil
}

// CommonCount returns how many passwords the bundled list holds, or an error
// if it cannot be loaded. It is meant for start-up checks and diagnostics.
func CommonCount() (int, error) {
	set, err := commonSet()
	return len(set), err
}
