package metrics

import (
	"sync"
	"time"
)

// window counts events over a sliding window of whole seconds, one bucket
// per second, and reports them per minute.
type window struct {
	mu     sync.Mutex
	now    func() time.Time
	counts []int64
	secs   []int64 // the unix second each bucket holds
}

func newWindow(size time.Duration, now func() time.Time) *window {
	n := max(int(size/time.Second), 1)
	return &window{now: now, counts: make([]int64, n), secs: make([]int64, n)}
}

// add counts n events now.
func (w *window) add(n int64) {
	sec := w.now().Unix()
	i := int(uint64(sec) % uint64(len(w.counts)))
	w.mu.Lock()
	if w.secs[i] != sec {
		w.secs[i], w.counts[i] = sec, 0
	}
	w.counts[i] += n
	w.mu.Unlock()
}

// perMinute returns the events of the last len(counts) seconds (the
// current one included) scaled to one minute.
func (w *window) perMinute() float64 {
	sec := w.now().Unix()
	size := int64(len(w.counts))
	var sum int64
	w.mu.Lock()
	for i, s := range w.secs {
		if age := sec - s; age >= 0 && age < size {
			sum += w.counts[i]
		}
	}
	w.mu.Unlock()
	return float64(sum) * 60 / float64(size)
}
