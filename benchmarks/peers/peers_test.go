package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPayloadIs100BytesOfJSON(t *testing.T) {
	now := time.Now()
	p := newPayload(now)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != payloadSize {
		t.Fatalf("payload JSON is %d bytes, want %d: %s", len(b), payloadSize, b)
	}
	m, err := json.Marshal(p.metadata())
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != payloadSize {
		t.Fatalf("metadata JSON is %d bytes, want %d: %s", len(m), payloadSize, m)
	}
	sent, err := sentAt(p.T)
	if err != nil {
		t.Fatal(err)
	}
	if !sent.Equal(time.Unix(0, now.UnixNano())) {
		t.Fatalf("sentAt = %v, want %v", sent, now)
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 200; i++ {
		d = append(d, time.Duration(i))
	}
	if got := percentile(d, 50); got != 100 {
		t.Fatalf("p50 = %v, want 100", got)
	}
	if got := percentile(d, 99); got != 198 {
		t.Fatalf("p99 = %v, want 198", got)
	}
	if got := percentile(d[:1], 99); got != 1 {
		t.Fatalf("p99 of one = %v, want 1", got)
	}
}

func TestSpliceDocReplacesBetweenMarkers(t *testing.T) {
	doc := "# Perf\n\nintro\n\n" + docBegin + "\nold table\n" + docEnd + "\n\n## After\n\nkept\n"
	out, err := spliceDoc([]byte(doc), "new table\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# Perf\n\nintro\n\n" + docBegin + "\nnew table\n" + docEnd + "\n\n## After\n\nkept\n"
	if string(out) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
	again, err := spliceDoc(out, "new table\n")
	if err != nil || string(again) != want {
		t.Fatalf("splicing twice changed the document: %v\n%s", err, again)
	}
}

func TestSpliceDocAppendsSectionWithoutMarkers(t *testing.T) {
	out, err := spliceDoc([]byte("# Perf\n\nintro\n"), "table\n")
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if !strings.HasPrefix(s, "# Perf\n\nintro\n\n## ") || !strings.HasSuffix(s, docBegin+"\ntable\n"+docEnd+"\n") {
		t.Fatalf("unexpected document:\n%s", s)
	}
}

func TestSpliceDocRefusesBrokenMarkers(t *testing.T) {
	for _, doc := range []string{"x\n" + docBegin + "\n", "x\n" + docEnd + "\n", docEnd + "\n" + docBegin + "\n"} {
		if _, err := spliceDoc([]byte(doc), "t"); err == nil {
			t.Errorf("no error for %q", doc)
		}
	}
}

func TestParseFlagsShortDefaultsAndOverrides(t *testing.T) {
	o, err := parseFlags([]string{"-short"})
	if err != nil {
		t.Fatal(err)
	}
	if o.tasks != 2000 || o.latencyDur != 2*time.Second || o.refDur != 2*time.Second || len(o.systems) != len(systems()) {
		t.Fatalf("short defaults: %+v", o)
	}
	o, err = parseFlags([]string{"-short", "-tasks", "500", "-systems", "memory,river"})
	if err != nil {
		t.Fatal(err)
	}
	if o.tasks != 500 || !o.selected("memory") || !o.selected("river") || o.selected("asynq") || o.needRedis() || !o.needPostgres() {
		t.Fatalf("overrides: %+v", o)
	}
	if _, err := parseFlags([]string{"-systems", "sidekiq"}); err == nil {
		t.Fatal("unknown system accepted")
	}
}

// TestShortRunWritesTable runs every system on real servers with few
// tasks and checks that every measure has a value in the written
// document.
func TestShortRunWritesTable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server and PostgreSQL")
	}
	o, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath(o.redisServer); err != nil {
		t.Skip("no redis-server")
	}
	if _, err := os.Stat(filepath.Join(o.pgBin, "postgres")); err != nil {
		t.Skip("no PostgreSQL 15")
	}
	doc := filepath.Join(t.TempDir(), "performance.md")
	if err := os.WriteFile(doc, []byte("# Performance\n\nkept\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-short", "-tasks", "300", "-latency-duration", "500ms", "-ref-duration", "500ms", "-write-doc", "-doc", doc}
	o, err = parseFlags(args)
	if err != nil {
		t.Fatal(err)
	}
	if code := run(o, args); code != 0 {
		t.Fatalf("run exited %d", code)
	}
	b, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.HasPrefix(s, "# Performance\n\nkept\n") || !strings.Contains(s, docBegin) || !strings.Contains(s, docEnd) {
		t.Fatalf("document not spliced:\n%s", s)
	}
	if strings.Contains(s, "failed") {
		t.Fatalf("a measure failed:\n%s", s)
	}
	for _, sys := range systems() {
		if !strings.Contains(s, "| "+sys.title+" |") {
			t.Errorf("no column %q", sys.title)
		}
	}
	// Every row has a number in every column except the measures a
	// system has no API for.
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| measure") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		label, vals := cells[0], cells[1:]
		dashes := strings.Count(strings.Join(vals, "|"), "—")
		switch {
		case strings.Contains(label, "InsertManyFast"):
			if dashes != len(vals)-1 {
				t.Errorf("%s: want only River's cell, got %v", label, vals)
			}
		case strings.HasPrefix(label, "batch enqueue"):
			if dashes != 1 { // asynq has no batch enqueue
				t.Errorf("%s: want only asynq's cell empty, got %v", label, vals)
			}
		case strings.HasPrefix(label, "PostgreSQL"):
			if dashes != 3 { // redis-only, memory, asynq
				t.Errorf("%s: want the three non-PostgreSQL cells empty, got %v", label, vals)
			}
		default:
			if dashes != 0 {
				t.Errorf("%s: empty cells in %v", label, vals)
			}
		}
	}
	if t.Failed() {
		t.Logf("document:\n%s", s)
	}
}
