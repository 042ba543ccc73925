package background

import "sync"

// Group runs goroutines until it is stopped. The zero Group is ready to
// use; it is safe for concurrent use.
type Group struct {
	mu      sync.Mutex
	stopped bool
	wg      sync.WaitGroup
}

// Go runs f in a goroutine that Wait waits for, unless Stop was called
// (then it returns false and does not run f).
func (g *Group) Go(f func()) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return false
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		f()
	}()
	return true
}

// Stop makes every later Go refuse to run its function.
func (g *Group) Stop() {
	g.mu.Lock()
	g.stopped = true
	g.mu.Unlock()
}

// Wait returns once every goroutine started by Go has returned.
func (g *Group) Wait() { g.wg.Wait() }
