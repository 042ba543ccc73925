package reliability

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// row is one line of a suite table: what was tried and what survived.
type row struct {
	scenario, deployment string
	cells                map[string]string
}

// drainColumns are the columns of the drain scenarios, in order.
var drainColumns = []string{"tasks", "kills", "outage", "completed", "lost", "not completed", "executions", "repeated", "retries used", "took"}

// loadColumns are the columns of the HTTP load runs.
var loadColumns = []string{"conns", "duration", "requests/s", "p50", "p99", "errors", "server CPU per request", "RSS start", "RSS end"}

var report struct {
	mu         sync.Mutex
	lastHeader string
}

// record logs r as a one-row table and appends it to the report file
// (TASKQ_RELIABILITY_REPORT), with a header when the columns change.
func record(t *testing.T, columns []string, r row) {
	t.Helper()
	header := "| scenario | deployment | " + strings.Join(columns, " | ") + " |\n|---|---|" + strings.Repeat("---|", len(columns))
	line := tableLine(columns, r)
	t.Log("\n" + header + "\n" + line)
	f := os.Getenv("TASKQ_RELIABILITY_REPORT")
	if f == "" {
		return
	}
	report.mu.Lock()
	defer report.mu.Unlock()
	fh, err := os.OpenFile(f, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Errorf("report file: %v", err)
		return
	}
	defer fh.Close()
	if header != report.lastHeader {
		fmt.Fprintln(fh, "\n"+header)
		report.lastHeader = header
	}
	fmt.Fprintln(fh, line)
}

func tableLine(columns []string, r row) string {
	cells := []string{r.scenario, r.deployment}
	for _, c := range columns {
		v := r.cells[c]
		if v == "" {
			v = "–"
		}
		cells = append(cells, v)
	}
	return "| " + strings.Join(cells, " | ") + " |"
}
