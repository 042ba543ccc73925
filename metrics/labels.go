package metrics

import (
	"sync"
	"unicode/utf8"
)

// maxLabelLen bounds one label value; longer values are reported as Other.
const maxLabelLen = 128

// labelSet bounds the values of one label: values seen first are admitted
// until max distinct values exist, later ones become Other. Each admitted
// value carries the metric children built for it by newFn, so hot paths do
// one map lookup under a read lock.
type labelSet[T any] struct {
	mu    sync.RWMutex
	items map[string]T
	max   int
	newFn func(value string) T
	other T
	once  sync.Once
}

func newLabelSet[T any](max int, newFn func(string) T, precreate ...string) *labelSet[T] {
	s := &labelSet[T]{items: make(map[string]T), max: max, newFn: newFn}
	for _, v := range precreate {
		if valid(v) {
			if _, ok := s.items[v]; !ok {
				s.items[v] = newFn(v)
			}
		}
	}
	return s
}

// valid reports whether v may be used as a label value as is.
func valid(v string) bool {
	return v != "" && len(v) <= maxLabelLen && utf8.ValidString(v)
}

// get returns the label value v is reported under and its children:
// v itself if it is known or the cap allows admitting it, else Other.
func (s *labelSet[T]) get(v string) (string, T) {
	if valid(v) {
		s.mu.RLock()
		t, ok := s.items[v]
		s.mu.RUnlock()
		if ok {
			return v, t
		}
		s.mu.Lock()
		t, ok = s.items[v]
		if !ok && len(s.items) < s.max {
			t, ok = s.newFn(v), true
			s.items[v] = t
		}
		s.mu.Unlock()
		if ok {
			return v, t
		}
	}
	s.once.Do(func() { s.other = s.newFn(Other) })
	return Other, s.other
}
