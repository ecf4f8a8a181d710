package store

import (
	"fmt"
	"time"
)

// timeLayout is RFC 3339 in UTC with exactly six fractional digits. SQLite
// stores timestamps as this text. Unlike time.RFC3339Nano, which drops
// trailing zeros, the fixed width makes text order equal time order, so
// comparisons and ORDER BY work on the column. Microseconds match
// PostgreSQL's timestamptz precision, so a value round-trips identically on
// both engines.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// formatTime renders t for a SQLite TEXT column.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// truncateTime drops what neither engine can store, so the value a method
// returns equals the value a later read returns.
func truncateTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// timeScanner scans a timestamp column of either engine into a UTC time.Time:
// pgx yields time.Time, modernc yields the TEXT as string.
type timeScanner struct{ t *time.Time }

// Scan implements sql.Scanner. NULL is an error; use nullTimeScanner.
func (s timeScanner) Scan(src any) error {
	t, ok, err := parseTimeValue(src)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("store: NULL in a NOT NULL time column")
	}
	*s.t = t
	return nil
}

// nullTimeScanner scans a nullable timestamp column; NULL gives a nil pointer.
type nullTimeScanner struct{ t **time.Time }

// Scan implements sql.Scanner.
func (s nullTimeScanner) Scan(src any) error {
	t, ok, err := parseTimeValue(src)
	if err != nil {
		return err
	}
	if !ok {
		*s.t = nil
		return nil
	}
	*s.t = &t
	return nil
}

func parseTimeValue(src any) (t time.Time, ok bool, err error) {
	switch v := src.(type) {
	case nil:
		return time.Time{}, false, nil
	case time.Time:
		return v.UTC(), true, nil
	case string:
		t, err = time.Parse(time.RFC3339Nano, v)
	case []byte:
		t, err = time.Parse(time.RFC3339Nano, string(v))
	default:
		return time.Time{}, false, fmt.Errorf("store: cannot scan %T into a time", src)
	}
	if err != nil {
		// The cause names the layout, not the value.
		return time.Time{}, false, fmt.Errorf("store: malformed time text")
	}
	return t.UTC(), true, nil
}
