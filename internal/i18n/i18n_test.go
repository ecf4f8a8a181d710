package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// verbs extracts fmt verbs, so a translation cannot drop or reorder a
// placeholder type.
var verbs = regexp.MustCompile(`%(\[[0-9]+\])?[-+# 0]*[0-9]*(\.[0-9]+)?[vTtbcdoOqxXUeEfFgGsp%]`)

func TestCatalogsAreComplete(t *testing.T) {
	c := MustLoad()
	en := c.Keys(English)
	if len(en) == 0 {
		t.Fatal("English catalog is empty")
	}
	for _, l := range Locales() {
		if diff := cmp.Diff(en, c.Keys(l)); diff != "" {
			t.Errorf("catalog %s keys differ from English (-en +%s):\n%s", l, l, diff)
		}
		for _, k := range en {
			msg := c.messages[l][k]
			if strings.TrimSpace(msg) == "" {
				t.Errorf("%s: %s is empty", l, k)
			}
			got, want := verbs.FindAllString(msg, -1), verbs.FindAllString(c.messages[English][k], -1)
			// Indexed verbs (%[2]d) may move: a translation may reorder
			// them. Plain verbs must keep their order.
			if strings.Contains(strings.Join(want, ""), "[") {
				slices.Sort(got)
				slices.Sort(want)
			}
			if !cmp.Equal(got, want) {
				t.Errorf("%s: %s has placeholders %v, English has %v", l, k, got, want)
			}
		}
	}
}

func TestMatch(t *testing.T) {
	c := MustLoad()
	tests := []struct {
		pref, accept string
		want         Locale
	}{
		{"", "", English},
		{"", "de-DE,de;q=0.9,en;q=0.8", German},
		{"", "es-MX", Spanish},
		{"", "fr-FR,fr;q=0.9", English},
		{"", "fr-FR,es;q=0.5", Spanish},
		{"de", "es", German},
		{"xx", "es", Spanish},
		{"", "garbage;;;q=", English},
		{"", strings.Repeat("de,", 300), English},
	}
	for _, tt := range tests {
		if got := c.Match(tt.pref, tt.accept); got != tt.want {
			t.Errorf("Match(%q, %q) = %s, want %s", tt.pref, tt.accept, got, tt.want)
		}
	}
}

func TestTranslateFallsBack(t *testing.T) {
	c := MustLoad()
	if got := c.T(German, "nav.home"); got != "Startseite" {
		t.Errorf("T(de, nav.home) = %q", got)
	}
	if got := c.T(Locale("fr"), "nav.home"); got != "Home" {
		t.Errorf("unknown locale did not fall back to English: %q", got)
	}
	if got := c.T(English, "no.such.key"); got != "no.such.key" {
		t.Errorf("missing key = %q, want the key", got)
	}
	if got := c.T(Spanish, "error.reference", "abc"); got != "Referencia: abc" {
		t.Errorf("placeholder: %q", got)
	}
}

// keyLiteral matches string literals shaped like catalog keys in Go code and
// templates; those whose first segment is a prefix the catalogs use are
// checked.
var keyLiteral = regexp.MustCompile(`"([a-z]+\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)"`)

// TestEveryKeyInSourceExists scans the source tree for translation keys and
// fails on any that the English catalog lacks, so no page shows a raw key.
func TestEveryKeyInSourceExists(t *testing.T) {
	c := MustLoad()
	prefixes := map[string]bool{}
	for _, k := range c.Keys(English) {
		prefixes[k[:strings.IndexByte(k, '.')]] = true
	}
	root := filepath.Join("..", "..")
	found := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git" || d.Name() == "data") {
			return filepath.SkipDir
		}
		if d.IsDir() || strings.HasSuffix(p, "_test.go") || !(strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".html")) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range keyLiteral.FindAllStringSubmatch(string(b), -1) {
			if !prefixes[m[1][:strings.IndexByte(m[1], '.')]] || strings.HasSuffix(m[1], ".css") || strings.HasSuffix(m[1], ".js") || strings.HasSuffix(m[1], ".svg") {
				continue // not a catalog prefix, or a static file name
			}
			found++
			if !c.Has(m[1]) {
				t.Errorf("%s uses key %q, missing from locales/en.json", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 20 {
		t.Errorf("found only %d keys in the source; the scanner is broken", found)
	}
}
