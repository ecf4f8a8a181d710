package jobs

import "time"

// Backoff returns how long a job waits after failing attempt (1 for the
// first run): base doubled for each earlier attempt, capped at max, of which
// the first half is fixed and the second half is jitter(half), jitter
// returning a duration in [0, half). The jitter spreads out jobs that failed
// together (a mail server that was down) so they do not retry in lockstep.
// A nil jitter adds none.
func Backoff(attempt int, base, max time.Duration, jitter func(time.Duration) time.Duration) time.Duration {
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	half := d / 2
	if jitter == nil || half <= 0 {
		return d
	}
	return d - half + jitter(half)
}
