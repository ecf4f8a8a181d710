package password

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

func TestCommonList(t *testing.T) {
	n, err := CommonCount()
	if err != nil {
		t.Fatalf("CommonCount: %v", err)
	}
	if n < 10000 {
		t.Errorf("the list has %d entries, want at least 10000", n)
	}
	for _, pw := range []string{"password", "123456", "PASSWORD", "Qwerty", "iloveyou"} {
		if ok, err := isCommon(pw); !ok || err != nil {
			t.Errorf("isCommon(%q) = %v, %v; want true, nil", pw, ok, err)
		}
	}
	for _, pw := range []string{"", "correct horse battery staple", "password "} {
		if ok, err := isCommon(pw); ok || err != nil {
			t.Errorf("isCommon(%q) = %v, %v; want false, nil", pw, ok, err)
		}
	}
}

// TestCommonListFormat reads the embedded file line by line: lowercase, no
// blanks, no whitespace, no duplicates, most common first.
func TestCommonListFormat(t *testing.T) {
	r, err := gzip.NewReader(bytes.NewReader(commonGz))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var first []string
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		s := sc.Text()
		switch {
		case s == "" || strings.TrimSpace(s) != s || strings.ContainsAny(s, " \t\r"):
			t.Errorf("line %d is blank or has whitespace", line)
		case strings.ToLower(s) != s:
			t.Errorf("line %d is not lowercase", line)
		case seen[s]:
			t.Errorf("line %d is a duplicate", line)
		}
		seen[s] = true
		if len(first) < 2 {
			first = append(first, s)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(first, ",") != "123456,password" {
		t.Errorf("the list does not start with the most common passwords: %q", first)
	}
}

func TestLoadCommonRejectsCorruptData(t *testing.T) {
	if _, err := loadCommon([]byte("not gzip")); err == nil {
		t.Error("loadCommon(not gzip) = nil error")
	}
	truncated := commonGz[:len(commonGz)/2]
	if _, err := loadCommon(truncated); err == nil {
		t.Error("loadCommon(truncated) = nil error")
	}
}
