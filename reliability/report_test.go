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

var report struct {
	mu   sync.Mutex
	rows []row
}

// columns of the table, in order.
var columns = []string{"tasks", "kills", "outage", "completed", "lost", "not completed", "executions", "repeated", "retries used", "took"}

// record adds a row and logs it.
func record(t *testing.T, r row) {
	t.Helper()
	report.mu.Lock()
	report.rows = append(report.rows, r)
	report.mu.Unlock()
	t.Log("\n" + table([]row{r}))
	if f := os.Getenv("TASKQ_RELIABILITY_REPORT"); f != "" {
		fh, err := os.OpenFile(f, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			t.Errorf("report file: %v", err)
			return
		}
		defer fh.Close()
		fmt.Fprintln(fh, tableLine(r))
	}
}

// table renders rows as a markdown table.
func table(rows []row) string {
	var b strings.Builder
	b.WriteString("| scenario | deployment | " + strings.Join(columns, " | ") + " |\n")
	b.WriteString("|---|---|" + strings.Repeat("---|", len(columns)) + "\n")
	for _, r := range rows {
		b.WriteString(tableLine(r) + "\n")
	}
	return b.String()
}

func tableLine(r row) string {
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
