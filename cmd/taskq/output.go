package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// printJSON writes a JSON value indented, one document per call.
func printJSON(w io.Writer, v any) error {
	var b []byte
	var err error
	if raw, ok := v.(json.RawMessage); ok {
		var out bytes.Buffer
		if err = json.Indent(&out, raw, "", "  "); err != nil {
			return err
		}
		b = out.Bytes()
	} else if b, err = json.MarshalIndent(v, "", "  "); err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// table writes aligned columns.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = oneLine(c)
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// oneLine keeps a cell on one line and out of the tab stops.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// when formats a time for people: UTC, seconds; "-" when absent.
func when(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// compact renders a JSON value on one line ("-" for absent or null).
func compact(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return "-"
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

// genericTable prints a list of JSON objects whose shape this program
// does not know: the columns are the union of their keys, the preferred
// ones first.
func genericTable(w io.Writer, items []map[string]json.RawMessage, preferred ...string) error {
	seen := map[string]bool{}
	var cols []string
	for _, k := range preferred {
		for _, it := range items {
			if _, ok := it[k]; ok && !seen[k] {
				seen[k] = true
				cols = append(cols, k)
			}
		}
	}
	var rest []string
	for _, it := range items {
		for k := range it {
			if !seen[k] {
				seen[k] = true
				rest = append(rest, k)
			}
		}
	}
	sort.Strings(rest)
	cols = append(cols, rest...)
	if len(cols) == 0 {
		_, err := fmt.Fprintln(w, "(none)")
		return err
	}
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = strings.ToUpper(c)
	}
	t := newTable(w, header...)
	for _, it := range items {
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = scalar(it[c])
		}
		t.row(cells...)
	}
	return t.flush()
}

// scalar renders a JSON value for a table cell: strings unquoted.
func scalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return orDash(s)
	}
	return clip(compact(raw), 60)
}

// priorityName names a task priority.
func priorityName(p int) string {
	names := []string{"low", "medium", "high", "critical"}
	if p >= 0 && p < len(names) {
		return names[p]
	}
	return fmt.Sprint(p)
}

// priorityValue reads a priority given as a name or 0-3, sent as given.
func priorityValue(v string) (any, error) {
	names := []string{"low", "medium", "high", "critical"}
	if i := slices.Index(names, v); i >= 0 {
		return v, nil
	}
	var n int
	if _, err := fmt.Sscanf(v, "%d", &n); err == nil && fmt.Sprint(n) == v && n >= 0 && n <= 3 {
		return n, nil
	}
	return nil, errorf("--priority: %q is not 0-3 or one of low, medium, high, critical", v)
}
