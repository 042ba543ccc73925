package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseFlagsScale(t *testing.T) {
	o, err := parseFlags([]string{"-scale"})
	if err != nil {
		t.Fatal(err)
	}
	if !o.scale || !slices.Equal(o.scaleTasks, []int{20000, 1000000}) || !slices.Equal(o.systems, scaleSystems()) {
		t.Fatalf("scale defaults: tasks %v systems %v", o.scaleTasks, o.systems)
	}
	if !o.needRedis() || !o.needPostgres() {
		t.Fatal("the durable deployments need both servers")
	}
	o, err = parseFlags([]string{"-scale", "-short"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.scaleTasks, []int{2000, 20000}) || o.timeout != 5*time.Minute {
		t.Fatalf("short scale: tasks %v timeout %v", o.scaleTasks, o.timeout)
	}
	o, err = parseFlags([]string{"-scale", "-short", "-scale-tasks", "1_000, 50", "-systems", "postgres-only"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.scaleTasks, []int{1000, 50}) || !slices.Equal(o.systems, []string{deployPGOnly}) || o.needRedis() {
		t.Fatalf("overrides: tasks %v systems %v", o.scaleTasks, o.systems)
	}
	for _, bad := range [][]string{
		{"-scale", "-systems", "river"},
		{"-scale", "-scale-tasks", "0"},
		{"-scale", "-scale-tasks", "10,x"},
		{"-scale", "-scale-tasks", ","},
	} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	// Without -scale the peers program keeps every system and ignores
	// -scale-tasks.
	o, err = parseFlags([]string{"-scale-tasks", "x"})
	if err != nil || o.scale || len(o.systems) != len(systems()) {
		t.Fatalf("peers mode: %v %+v", err, o)
	}
}

func TestParseUsedMemory(t *testing.T) {
	n, err := parseUsedMemory("# Memory\r\nused_memory:1234567\r\nused_memory_human:1.18M\r\n")
	if err != nil || n != 1234567 {
		t.Fatalf("got %d, %v", n, err)
	}
	if _, err := parseUsedMemory("# Memory\r\nused_memory_human:1.18M\r\n"); err == nil {
		t.Fatal("no error without used_memory")
	}
}

func TestScaleTableAndGrowth(t *testing.T) {
	o := options{systems: []string{deployRedisPG, deployPGOnly}, scaleTasks: []int{1000, 50000}}
	r := newScaleResults(o)
	lo, hi := scaleCol{deployRedisPG, 1000}, scaleCol{deployRedisPG, 50000}
	r.set(lo, rowLoad, 30000)
	r.set(hi, rowLoad, 15000)
	r.setDur(lo, rowCounts, 2*time.Millisecond)
	r.setDur(hi, rowCounts, 100*time.Millisecond)
	r.setDur(lo, rowReap, 100*time.Microsecond)
	r.setDur(hi, rowReap, 110*time.Microsecond)
	r.fail(scaleCol{deployPGOnly, 50000}, rowScaleDrain)
	table := r.markdown()
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 2+len(scaleRows()) {
		t.Fatalf("want a header, a rule and %d rows:\n%s", len(scaleRows()), table)
	}
	if lines[0] != "| measure | redis+postgres, N=1,000 | redis+postgres, N=50,000 | postgres-only, N=1,000 | postgres-only, N=50,000 |" {
		t.Fatalf("header: %s", lines[0])
	}
	find := func(text, prefix string) string {
		for _, l := range strings.Split(text, "\n") {
			if strings.HasPrefix(l, "| "+prefix) {
				return l
			}
		}
		t.Fatalf("no row %q in:\n%s", prefix, text)
		return ""
	}
	if got := find(table, "load:"); !strings.HasSuffix(got, "| 30,000 | 15,000 | — | — |") {
		t.Errorf("load row: %s", got)
	}
	if got := find(table, "Client.QueueStats"); !strings.HasSuffix(got, "| 2.00 | 100 | — | — |") {
		t.Errorf("counts row: %s", got)
	}
	if got := find(table, "drain"); !strings.HasSuffix(got, "| — | — | — | error |") {
		t.Errorf("drain row: %s", got)
	}
	if r.failures != 1 {
		t.Errorf("failures = %d", r.failures)
	}
	g := r.growth()
	if !strings.HasPrefix(g, "| growth from N=1,000 to N=50,000 (×) | redis+postgres | postgres-only |") {
		t.Fatalf("growth header:\n%s", g)
	}
	if got := find(g, "Client.QueueStats"); !strings.HasSuffix(got, "| 50 | — |") {
		t.Errorf("counts growth: %s", got)
	}
	if got := find(g, "reap pass"); !strings.HasSuffix(got, "| 1.10 | — |") {
		t.Errorf("reap growth: %s", got)
	}
	if got := find(g, "load:"); !strings.HasSuffix(got, "| 0.50 | — |") {
		t.Errorf("load growth: %s", got)
	}
	if one := (&scaleResults{o: options{systems: o.systems, scaleTasks: []int{7}}}).growth(); one != "" {
		t.Errorf("growth of a single N: %q", one)
	}
}

func TestScaleDocSectionKeepsPeersSection(t *testing.T) {
	doc := "# Perf\n\n" + docBegin + "\npeers\n" + docEnd + "\n"
	out, err := spliceSection([]byte(doc), scaleSection, "scale table\n")
	if err != nil {
		t.Fatal(err)
	}
	want := doc + "\n## Scale: a million pending tasks\n\n" + scaleDocBegin + "\nscale table\n" + scaleDocEnd + "\n"
	if string(out) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
	again, err := spliceSection(out, scaleSection, "new\n")
	if err != nil || !strings.Contains(string(again), scaleDocBegin+"\nnew\n"+scaleDocEnd) || !strings.Contains(string(again), "\npeers\n") {
		t.Fatalf("second splice: %v\n%s", err, again)
	}
	block := scaleDocBlock(options{scaleTasks: []int{20000, 1000000}}, []string{"-scale", "-write-doc"}, []string{"redis-server 7"}, "1.00 2.00 3.00", "4.00 5.00 6.00", "T\n")
	for _, s := range []string{"`make bench-scale BENCH_SCALE_FLAGS='-write-doc'`", "1.00 2.00 3.00 at the start, 4.00 5.00 6.00 at the end", "N = 20,000 and 1,000,000", "redis-server 7, on loopback"} {
		if !strings.Contains(block, s) {
			t.Errorf("doc block lacks %q:\n%s", s, block)
		}
	}
}

// TestScaleShortRunWritesTable runs the scale mode on real servers with
// few tasks and checks that every measure of every deployment has a value
// (PostgreSQL's and Redis' storage rows only where the deployment uses
// them).
func TestScaleShortRunWritesTable(t *testing.T) {
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
	args := []string{"-scale", "-short", "-scale-tasks", "300,600", "-write-doc", "-doc", doc}
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
	if !strings.HasPrefix(s, "# Performance\n\nkept\n") || !strings.Contains(s, scaleDocBegin) || !strings.Contains(s, scaleDocEnd) {
		t.Fatalf("document not spliced:\n%s", s)
	}
	rows := 0
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| measure") || strings.HasPrefix(line, "| growth") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		label, vals := cells[0], cells[1:]
		if len(vals) == 6 {
			rows++
		}
		for i, v := range vals {
			if v == "error" {
				t.Errorf("%s: a measure failed: %v", label, vals)
			}
			empty := v == "—"
			var want bool
			switch {
			case strings.HasPrefix(label, "Redis"):
				want = len(vals) == 6 && (i == 2 || i == 3) || len(vals) == 3 && i == 1 // postgres-only
			case strings.HasPrefix(label, "drain, first tenth"), strings.HasPrefix(label, "drain, last tenth"):
				want = empty // a drain of 600 tasks ends before the first sample
			case strings.HasPrefix(label, "PostgreSQL"):
				want = len(vals) == 6 && (i == 4 || i == 5) || len(vals) == 3 && i == 2 // redis-only
			}
			if empty != want {
				t.Errorf("%s: cell %d is %q", label, i, v)
			}
		}
	}
	if rows != len(scaleRows()) {
		t.Errorf("%d rows with six columns, want %d", rows, len(scaleRows()))
	}
	if t.Failed() {
		t.Logf("document:\n%s", s)
	}
}
