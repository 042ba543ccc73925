package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/taskq/taskq"
)

// fetchPage reads up to limit tasks of a listing after cursor.
type fetchPage func(ctx context.Context, cursor string, limit int) (taskq.TaskPage, error)

// Bounds of the reads behind one list page: the first read is small, the
// next ones are sized by the tasks seen so far to about what still fits
// in Config.ListMaxBytes, so a page of large tasks never loads much more
// than the cap.
const (
	firstListChunk = 20
	maxListChunk   = 200
	maxListReads   = 50
)

// writePage answers a listing (GET /api/tasks, GET /api/dlq) of up to
// limit tasks after cursor, as {"tasks": [...], "next_cursor": ...}.
//
// The page stops early once its encoded tasks reach Config.ListMaxBytes
// (it always holds at least one task when any is left); its next_cursor
// then continues right after its last task: the storage reads exactly the
// tasks kept again to get that cursor (a storage cursor exists only at the
// end of one of its pages). A task that cannot be encoded (a record
// stored with a time past year 9999, say) is left out, listed in
// "skipped" and logged at ERROR with the request id: one bad record never
// turns a whole page into a 500 (the repair route fixes such records).
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, fetch fetchPage, cursor string, limit int) error {
	ctx := r.Context()
	maxBytes := s.cfg.ListMaxBytes
	var (
		encs    [][]byte
		skipped []string
		size    int
	)
	// encode appends the tasks of ts that fit (all when all is set) and
	// returns how many of ts it consumed.
	encode := func(ts []*taskq.Task, all bool) int {
		for i, t := range ts {
			b, err := json.Marshal(t)
			if err != nil {
				s.log.ErrorContext(ctx, "task cannot be encoded: left out of the listing", "request_id", requestID(ctx),
					"task_id", t.ID, "error", err)
				skipped = append(skipped, t.ID)
				continue
			}
			if !all && len(encs) > 0 && size+len(b)+1 > maxBytes {
				return i
			}
			size += len(b) + 1
			encs = append(encs, b)
		}
		return len(ts)
	}
	seen, chunk := 0, min(limit, firstListChunk)
	for reads := 0; seen < limit && reads < maxListReads; reads++ {
		want := min(limit-seen, chunk)
		page, err := fetch(ctx, cursor, want)
		if err != nil {
			return err
		}
		marks := len(encs) // to undo this read's tasks
		skips, before := len(skipped), size
		if n := encode(page.Tasks, false); n < len(page.Tasks) {
			encs, skipped, size = encs[:marks], skipped[:skips], before
			if n > 0 {
				// Read exactly the tasks that fit again: the storage's
				// cursor after them continues the listing there.
				if page, err = fetch(ctx, cursor, n); err != nil {
					return err
				}
				encode(page.Tasks, true)
				cursor = page.NextCursor
			}
			return s.writeTasks(w, encs, cursor, skipped)
		}
		seen += len(page.Tasks)
		cursor = page.NextCursor
		if cursor == "" || len(page.Tasks) == 0 {
			break
		}
		if len(encs) > 0 {
			avg := max(1, size/len(encs))
			chunk = min(max((maxBytes-size)/avg+1, 1), maxListChunk)
		}
	}
	return s.writeTasks(w, encs, cursor, skipped)
}

// writeTasks writes a list body from encoded tasks, piece by piece (no
// copy of the whole page is built).
func (s *Server) writeTasks(w http.ResponseWriter, encs [][]byte, cursor string, skipped []string) error {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Del("Content-Length")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, `{"tasks":[`)
	for i, e := range encs {
		if i > 0 {
			_, _ = io.WriteString(w, ",")
		}
		_, _ = w.Write(e)
	}
	tail := []byte(`],"next_cursor":`)
	if cursor == "" {
		tail = append(tail, "null"...)
	} else {
		c, _ := json.Marshal(cursor)
		tail = append(tail, c...)
	}
	if len(skipped) > 0 {
		sk, _ := json.Marshal(skipped)
		tail = append(append(tail, `,"skipped":`...), sk...)
	}
	_, _ = w.Write(append(tail, "}\n"...))
	return nil
}
