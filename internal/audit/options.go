package audit

import (
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"time"
)

// Year is the unit of the default retention periods: 366 days, so that a
// period of n years is never shorter than n calendar years and a purge is
// never early (it may be up to n days late).
const Year = 366 * 24 * time.Hour

// DefaultRetention returns how long entries of each category are kept by
// default: health and payment 10 years (medical-record and tax rules commonly
// ask for that), authentication 2 years, administration and security 6 years
// (HIPAA's documentation rule, 45 CFR 164.316(b)(2)(i)).
func DefaultRetention() map[Category]time.Duration {
	return map[Category]time.Duration{
		CategoryHealth:         10 * Year,
		CategoryAuthentication: 2 * Year,
		CategoryAdministration: 6 * Year,
		CategoryPayment:        10 * Year,
		CategorySecurity:       6 * Year,
	}
}

// Options tune a Recorder. The zero value gives the documented defaults.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Retention overrides DefaultRetention per category; each value must be
	// positive.
	Retention map[Category]time.Duration
	// CheckpointEvery signs a checkpoint once a practice's chain has grown
	// by this many entries since its last one. Default 1000.
	CheckpointEvery int64
	// CheckpointInterval signs a checkpoint for a practice with entries
	// newer than its last checkpoint once this long has passed. Default 1
	// minute.
	CheckpointInterval time.Duration
	// MaxBatch bounds how many entries one transaction commits. Default 256.
	MaxBatch int
	// QueueSize bounds the entries waiting for a transaction; when the queue
	// is full, Record waits. Default 4096.
	QueueSize int
	// CommitTimeout bounds one append transaction. Default 10 seconds.
	CommitTimeout time.Duration
	// TrustedKeys are public keys, besides the signer's own, whose
	// checkpoints Purge accepts (keys used before a rotation).
	TrustedKeys []ed25519.PublicKey
	// Logger receives commit failures, never event contents; nil discards.
	Logger *slog.Logger
}

// withDefaults fills in defaults and checks the values.
func (o Options) withDefaults() (Options, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	ret := DefaultRetention()
	for c, d := range o.Retention {
		if _, ok := ret[c]; !ok {
			return o, fmt.Errorf("audit: retention for unknown category %q", c)
		}
		if d <= 0 {
			return o, fmt.Errorf("audit: retention for %s must be positive", c)
		}
		ret[c] = d
	}
	o.Retention = ret
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = 1000
	}
	if o.CheckpointInterval <= 0 {
		o.CheckpointInterval = time.Minute
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 4096
	}
	if o.CommitTimeout <= 0 {
		o.CommitTimeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}
