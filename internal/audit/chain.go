package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// HashSize is the length of entry hashes.
const HashSize = sha256.Size

// entryTag starts every canonical entry encoding. A new encoding gets a new
// tag, so an old entry can never be read as a new one.
const entryTag = "astral-audit-entry-v1"

// GenesisHash returns the PrevHash of every chain's first entry: 32 zero
// bytes. The org id is in every entry's encoding, so chains of different
// practices cannot be confused even though they share this value.
func GenesisHash() []byte { return make([]byte, HashSize) }

// HashData returns the DataHash of data: SHA-256, lowercase hex.
//
// A plain hash of low-entropy data (a date of birth, a yes/no answer) can be
// found by guessing; it proves what data an action saw, but is not a way to
// hide it. Pass whole records or documents, never a single short value.
func HashData(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// EntryHash returns SHA-256(e.PrevHash || CanonicalEntry(e)). It ignores
// e.Hash.
func EntryHash(e Entry) []byte {
	h := sha256.New()
	h.Write(e.PrevHash)
	h.Write(CanonicalEntry(e))
	return h.Sum(nil)
}

// CanonicalEntry encodes every field of e except PrevHash and Hash, in a
// fixed order: the version tag, then each string as a 4-byte big-endian
// length and its bytes, and each number as 8 big-endian bytes; Fields is a
// 4-byte count followed by its strings. Every field is delimited by its
// length, so no two different entries have the same encoding.
func CanonicalEntry(e Entry) []byte {
	n := len(entryTag) + 8 + 8 + 4 // tag, seq, time, field count
	strs := [...]string{
		e.OrgID, e.ActorID, e.ActorRole, e.Action, e.ResourceType, e.ResourceID,
		e.PatientID, string(e.Outcome), string(e.Purpose), string(e.Category),
		e.IP, e.UserAgent, e.RequestID, e.DataHash,
	}
	for _, s := range strs {
		n += 4 + len(s)
	}
	for _, f := range e.Fields {
		n += 4 + len(f)
	}
	b := make([]byte, 0, n+4)
	b = appendString(b, entryTag)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Seq))
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time.UnixMicro()))
	for _, s := range strs {
		b = appendString(b, s)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(e.Fields)))
	for _, f := range e.Fields {
		b = appendString(b, f)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}
