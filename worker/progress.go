package worker

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/taskq/taskq"
)

// progressWriteTimeout bounds one progress write.
const progressWriteTimeout = 5 * time.Second

// progress coalesces the progress reports of one attempt
// (taskq.ReportProgress) into storage writes at least cfg.ProgressInterval
// apart: the first report is written at once, later ones wait for the
// interval and only the latest of them is written. Writes run on their own
// goroutine, so a report never waits for the storage. close, called once
// the handler returned and before the outcome is recorded, writes the
// last report not yet written: the record ends with the last progress the
// attempt reported.
type progress struct {
	w        *Worker
	pw       taskq.ProgressWriter
	id       string
	attempt  int
	interval time.Duration

	mu        sync.Mutex
	latest    *taskq.Progress // reported, not yet written
	lastWrite time.Time       // when the last write ended (monotonic); zero before the first
	timer     *time.Timer     // armed for a write that waits for the interval
	writing   chan struct{}   // closed when the write in flight ends; nil when none
	closed    bool            // the handler returned: close writes what is left
	refused   bool            // the storage refused a write: the attempt lost the task, or cannot store progress
}

// newProgress returns the progress of attempt a of t, or nil when the
// worker stores no progress.
func (w *Worker) newProgress(t *taskq.Task, a *attempt) *progress {
	if w.progressW == nil || w.cfg.ProgressInterval < 0 {
		return nil
	}
	return &progress{w: w, pw: w.progressW, id: t.ID, attempt: a.number, interval: w.cfg.ProgressInterval}
}

// report is the attempt's taskq.ProgressFunc.
func (p *progress) report(percent int, message string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.refused {
		return
	}
	p.latest = &taskq.Progress{Percent: percent, Message: message, Attempt: p.attempt, Updated: p.w.now()}
	p.scheduleLocked()
}

// scheduleLocked writes the latest report now when the interval since
// the last write has passed, else arms the timer for when it will have.
func (p *progress) scheduleLocked() {
	if p.latest == nil || p.writing != nil || p.timer != nil || p.closed || p.refused {
		return
	}
	if wait := p.interval - time.Since(p.lastWrite); !p.lastWrite.IsZero() && wait > 0 {
		p.timer = time.AfterFunc(wait, func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.timer = nil
			p.scheduleLocked()
		})
		return
	}
	v := *p.latest
	p.latest = nil
	done := make(chan struct{})
	p.writing = done
	go func() {
		refused := p.write(v)
		p.mu.Lock()
		defer p.mu.Unlock()
		p.writing = nil
		p.lastWrite = time.Now()
		p.refused = p.refused || refused
		close(done)
		p.scheduleLocked()
	}()
}

// write stores v and reports whether the storage refused it for good.
func (p *progress) write(v taskq.Progress) (refused bool) {
	ctx, cancel := context.WithTimeout(context.Background(), progressWriteTimeout)
	defer cancel()
	err := p.pw.SetProgress(ctx, p.id, v)
	switch {
	case err == nil:
		return false
	case errors.Is(err, errors.ErrUnsupported):
		return true
	case errors.Is(err, taskq.ErrConflict), errors.Is(err, taskq.ErrNotFound):
		p.w.log.Debug("progress not stored: the attempt no longer holds the task", "task_id", p.id, "attempt", p.attempt, "error", err)
		return true
	}
	p.w.log.Warn("progress not stored", "task_id", p.id, "attempt", p.attempt, "error", err)
	return false
}

// close ends the reports: it waits for the write in flight, then writes
// the last report not yet written, if any.
func (p *progress) close() {
	p.mu.Lock()
	p.closed = true
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	for p.writing != nil {
		ch := p.writing
		p.mu.Unlock()
		<-ch
		p.mu.Lock()
	}
	v, refused := p.latest, p.refused
	p.latest = nil
	p.mu.Unlock()
	if v != nil && !refused {
		p.write(*v)
	}
}
