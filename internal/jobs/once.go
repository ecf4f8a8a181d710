package jobs

import (
	"context"

	"github.com/astralcore/astral/internal/errs"
)

// Once runs fn unless the effect named key was marked done, and marks it done
// when fn succeeds. Handlers use it around a side effect that must not repeat
// when their job runs again after a crash, a lost lease or a failure later in
// the handler, such as sending an email:
//
//	return jobs.Once(ctx, effects, "email:"+job.ID, func(ctx context.Context) error {
//		return mailer.Send(ctx, msg)
//	})
//
// Build key from ids ("reminder:<appointment id>:24h"), never from PHI. An
// fn error is returned unchanged and leaves the effect unmarked, so the next
// attempt runs fn again.
//
// The guarantee has one gap no database can close for an effect outside it:
// if the process dies after fn's effect and before the marker commits, fn
// runs again on the next attempt. Make that repeat harmless where the other
// side allows it (a Message-ID derived from key lets mail clients drop the
// copy). An effect that is itself a database write needs no gap: do the write
// and store.Tx.MarkJobEffect in one transaction, and skip the write when the
// marker was there already.
//
// The queue never runs one job twice at once (each claim's handler times out
// before its lease ends), so two calls with one key do not race unless two
// jobs share a key; then both may run fn. An invalid key is errs.Invalid;
// store failures are passed on.
func Once(ctx context.Context, s EffectStore, key string, fn func(ctx context.Context) error) error {
	if err := ValidateEffectKey(key); err != nil {
		return err
	}
	done, err := s.JobEffectDone(ctx, key)
	if err != nil || done {
		return onceErr(err)
	}
	if err := fn(ctx); err != nil {
		return err // unchanged: its kind and operation describe the failure
	}
	// Marked with a context of its own: the effect happened, so a
	// cancellation now must not leave it unrecorded.
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	_, err = s.MarkJobEffect(mctx, key)
	return onceErr(err)
}

func onceErr(err error) error {
	errs.Op(&err, "jobs.Once")
	return err
}
