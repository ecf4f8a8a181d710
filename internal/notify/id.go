package notify

import (
	"crypto/rand"
	"encoding/hex"
	"regexp"
	"time"
)

// idLayout formats the time part of a message id: fixed width, UTC, to the
// nanosecond, so that ids sort in time order as plain strings.
const idLayout = "20060102T150405.000000000Z"

// idPattern is the only shape a message id may have. Outbox.Read matches ids
// against it before building a path, which rules out path traversal.
var idPattern = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}\.[0-9]{9}Z-[0-9a-f]{16}$`)

// newID returns a message id: the time t, then 64 random bits so that two
// messages in the same nanosecond (or under a fake clock) differ. It is
// opaque, carries no personal data and is safe to log; it is also the
// outbox file name and the local part of the Message-ID header.
func newID(t time.Time) string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error.
	return t.UTC().Format(idLayout) + "-" + hex.EncodeToString(b[:])
}

// idTime returns the time in a valid id.
func idTime(id string) (time.Time, bool) {
	if !idPattern.MatchString(id) {
		return time.Time{}, false
	}
	t, err := time.Parse(idLayout, id[:len(idLayout)])
	return t, err == nil
}
