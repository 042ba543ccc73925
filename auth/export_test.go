package auth

import "time"

// Waiting returns how many Allow calls of key (with limit) wait for the
// call in flight.
func (l *RedisLimiter) Waiting(key string, limit Limit) int {
	t, b, _ := limit.params(time.Microsecond)
	l.mu.Lock()
	defer l.mu.Unlock()
	if q := l.inFlight[limitKey{key: key, t: t, b: b}]; q != nil {
		return len(q.waiting)
	}
	return 0
}
