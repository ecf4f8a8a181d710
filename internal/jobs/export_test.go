package jobs

// Stopping reports whether Shutdown has begun, so a test can act right after
// that moment without sleeping.
func Stopping(q *Queue) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.stopped
}
