package session

import (
	"context"
	"encoding/hex"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// run keeps a subscription to the revocation and acknowledgement channels
// until ctx ends, starting over after every failure. ready is closed the
// first time the revocation channel is confirmed.
func (c *RedisCache) run(ctx context.Context, ready chan struct{}) {
	defer close(c.done)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		c.psMu.Lock()
		if c.closed {
			c.psMu.Unlock()
			return
		}
		ps := c.rdb.Subscribe(ctx, c.revokedCh, c.ackCh)
		c.ps = ps
		c.psMu.Unlock()
		err := c.listen(ctx, ps, ready)
		_ = ps.Close()
		c.healthy.Store(false)
		c.local.Flush()
		if ctx.Err() != nil {
			return
		}
		c.log.WarnContext(ctx, "session: revocation subscription lost; local cache disabled until it is back", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// listen handles messages on one subscription until it fails. An idle
// subscription is pinged every PingEvery; a ping unanswered by the next
// check ends it.
func (c *RedisCache) listen(ctx context.Context, ps *redis.PubSub, ready chan struct{}) error {
	pinged := false
	subscribed := map[string]bool{}
	for {
		msg, err := ps.ReceiveTimeout(ctx, c.opts.PingEvery)
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() || pinged {
				return err
			}
			if err := ps.Ping(ctx); err != nil {
				return err
			}
			pinged = true
			continue
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				subscribed[m.Channel] = true
			}
			// A confirmation also follows a silent reconnect inside the
			// client: announcements made before it may have been missed.
			c.local.Flush()
			// Both channels: an Invalidate of this instance's own must hear
			// the acknowledgements.
			if subscribed[c.revokedCh] && subscribed[c.ackCh] {
				c.healthy.Store(true)
				select {
				case <-ready:
				default:
					close(ready)
				}
			}
		case *redis.Message:
			c.handle(ctx, m)
		}
	}
}

// handle applies one message: a revocation ("nonce hash,hash,...") is
// dropped locally and then acknowledged; an acknowledgement counts towards
// this instance's waiting Invalidate, if it is one of its own.
func (c *RedisCache) handle(ctx context.Context, m *redis.Message) {
	switch m.Channel {
	case c.revokedCh:
		id, list, ok := strings.Cut(m.Payload, " ")
		if !ok {
			return
		}
		var hs []Hash
		for part := range strings.SplitSeq(list, ",") {
			var h Hash
			if b, err := hex.DecodeString(part); err == nil && len(b) == len(h) {
				copy(h[:], b)
				hs = append(hs, h)
			}
		}
		_ = c.local.Invalidate(ctx, hs...)
		if err := c.rdb.Publish(ctx, c.ackCh, id).Err(); err != nil {
			c.log.WarnContext(ctx, "session: acknowledging a revocation failed", "err", err)
		}
	case c.ackCh:
		c.mu.Lock()
		defer c.mu.Unlock()
		w, ok := c.waiters[m.Payload]
		if !ok {
			return
		}
		w.got++
		if w.need >= 0 && w.got == w.need {
			close(w.done)
		}
	}
}
