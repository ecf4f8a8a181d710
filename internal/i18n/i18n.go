// Package i18n holds the translation catalogs and chooses a locale for each
// request.
//
// Every user-facing string in Astral Core is a key in the catalogs under
// locales/, one JSON file per language. English is the source language and the
// fallback; a test keeps German and Spanish complete and their placeholders
// consistent with English.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"golang.org/x/text/language"
)

//go:embed locales/*.json
var localeFiles embed.FS

// Locale is a supported language, such as "en".
type Locale string

// The supported locales. English comes first: it is the default.
const (
	English Locale = "en"
	German  Locale = "de"
	Spanish Locale = "es"
)

// Locales lists the supported locales in display order.
func Locales() []Locale { return []Locale{English, German, Spanish} }

// Catalog maps each locale to its messages.
type Catalog struct {
	messages map[Locale]map[string]string
	matcher  language.Matcher
	tags     []Locale
}

// Load reads the embedded catalogs. It fails if a supported locale has no
// file or a file is not a flat JSON object of strings.
func Load() (*Catalog, error) {
	c := &Catalog{messages: make(map[Locale]map[string]string)}
	var tags []language.Tag
	for _, l := range Locales() {
		b, err := fs.ReadFile(localeFiles, path.Join("locales", string(l)+".json"))
		if err != nil {
			return nil, fmt.Errorf("i18n: read catalog %s: %w", l, err)
		}
		m := make(map[string]string)
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: parse catalog %s: %w", l, err)
		}
		c.messages[l] = m
		c.tags = append(c.tags, l)
		tags = append(tags, language.MustParse(string(l)))
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

// MustLoad is Load for program start-up and tests.
func MustLoad() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

// Parse returns the supported locale named by s ("de", "de-AT" → German) and
// whether s named one.
func (c *Catalog) Parse(s string) (Locale, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(s, "-_"); i > 0 {
		s = s[:i]
	}
	for _, l := range c.tags {
		if string(l) == s {
			return l, true
		}
	}
	return English, false
}

// Match chooses a locale: the user's explicit preference when it is
// supported, else the best match for the Accept-Language header, else
// English.
func (c *Catalog) Match(preference, acceptLanguage string) Locale {
	if l, ok := c.Parse(preference); ok {
		return l
	}
	if acceptLanguage == "" || len(acceptLanguage) > 512 {
		return English
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return English
	}
	_, idx, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return English
	}
	return c.tags[idx]
}

// T translates key into locale l, filling placeholders from args. A key
// missing from l falls back to English; a key missing everywhere returns the
// key itself, which tests catch.
func (c *Catalog) T(l Locale, key string, args ...any) string {
	msg, ok := c.messages[l][key]
	if !ok {
		msg, ok = c.messages[English][key]
	}
	if !ok {
		return key
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// Has reports whether key exists in the English catalog.
func (c *Catalog) Has(key string) bool {
	_, ok := c.messages[English][key]
	return ok
}

// Keys returns the sorted keys of locale l, for tests.
func (c *Catalog) Keys(l Locale) []string {
	keys := make([]string, 0, len(c.messages[l]))
	for k := range c.messages[l] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Name returns the locale's name in its own language, for the switcher.
func (c *Catalog) Name(l Locale) string { return c.T(l, "locale.name") }
