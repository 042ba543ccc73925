package metrics_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq/metrics"
	"github.com/taskq/taskq/queue"
)

// dashboard is the part of a Grafana dashboard the tests read.
type dashboard struct {
	Title      string  `json:"title"`
	UID        string  `json:"uid"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string `json:"name"`
			Type       string `json:"type"`
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	GridPos     struct{ H, W, X, Y int } `json:"gridPos"`
	FieldConfig struct {
		Defaults struct {
			Unit     string `json:"unit"`
			Mappings []struct {
				Options map[string]struct {
					Text  string `json:"text"`
					Color string `json:"color"`
				} `json:"options"`
			} `json:"mappings"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Targets []struct {
		RefID        string `json:"refId"`
		Expr         string `json:"expr"`
		LegendFormat string `json:"legendFormat"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

// loadDashboards parses every dashboard under dashboards/.
func loadDashboards(t *testing.T) map[string]dashboard {
	t.Helper()
	files, err := filepath.Glob("dashboards/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string]dashboard{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		var d dashboard
		require.NoError(t, json.Unmarshal(raw, &d), f)
		out[f] = d
	}
	return out
}

// allPanels flattens rows.
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

// dashboardExprs returns every target expr of every dashboard.
func dashboardExprs(t *testing.T) []string {
	t.Helper()
	var exprs []string
	for _, d := range loadDashboards(t) {
		for _, p := range allPanels(d.Panels) {
			for _, tg := range p.Targets {
				exprs = append(exprs, tg.Expr)
			}
		}
	}
	return exprs
}

// grafanaVars are the values the tests give to dashboard variables.
var grafanaVars = strings.NewReplacer("$__rate_interval", "1m", "$queue", ".*", "$instance", ".*")

func TestDashboardStructure(t *testing.T) {
	t.Parallel()
	for file, d := range loadDashboards(t) {
		require.NotEmpty(t, d.Title, file)
		require.NotEmpty(t, d.UID, file)
		ids := map[int]bool{}
		for _, p := range allPanels(d.Panels) {
			require.NotEmpty(t, p.Title, "%s: panel %d", file, p.ID)
			require.False(t, ids[p.ID], "%s: duplicate panel id %d", file, p.ID)
			ids[p.ID] = true
			require.Positive(t, p.GridPos.W, p.Title)
			require.LessOrEqual(t, p.GridPos.X+p.GridPos.W, 24, p.Title)
			if p.Type == "row" {
				continue
			}
			if p.Type == "state-timeline" {
				require.NotEmpty(t, timelineStates(p), "%s: a state timeline maps its values 0, 1, ... to names", p.Title)
				for _, m := range p.FieldConfig.Defaults.Mappings {
					for v, o := range m.Options {
						require.Contains(t, stateColors, o.Color, "%s: value %s: a colour the renderer knows", p.Title, v)
					}
				}
			}
			require.NotNil(t, p.Datasource, p.Title)
			require.Equal(t, "${datasource}", p.Datasource.UID, p.Title)
			require.NotEmpty(t, p.Targets, p.Title)
			for _, tg := range p.Targets {
				require.NotEmpty(t, tg.Expr, "%s/%s", p.Title, tg.RefID)
				require.NotContains(t, grafanaVars.Replace(tg.Expr), "$", "%s: unknown variable", p.Title)
			}
		}
		var vars []string
		for _, v := range d.Templating.List {
			vars = append(vars, v.Name)
		}
		require.Subset(t, vars, []string{"datasource", "queue", "instance"})
	}
}

// defaultFamilies returns the names of every family, without namespace:
// the names the dashboards and alerting rules are written for.
func defaultFamilies(t *testing.T) []string {
	t.Helper()
	q := queue.NewMemory()
	t.Cleanup(func() { _ = q.Close() })
	m, err := metrics.New(prometheus.NewRegistry(), metrics.Config{Queue: q, Schedules: []string{"beat"},
		Paused:  func(context.Context) ([]string, error) { return nil, nil },
		Leaders: func() map[string]bool { return nil }})
	require.NoError(t, err)
	return m.FamilyNames()
}

// metricName matches identifiers that may be metric names in PromQL.
var metricName = regexp.MustCompile(`[a-z_][a-z0-9_]*`)

func TestDashboardsCoverEveryFamily(t *testing.T) {
	t.Parallel()
	used := map[string]bool{}
	for _, e := range dashboardExprs(t) {
		for _, id := range metricName.FindAllString(e, -1) {
			used[strings.TrimSuffix(strings.TrimSuffix(id, "_bucket"), "_count")] = true
		}
	}
	families := defaultFamilies(t)
	for _, n := range families {
		require.True(t, used[n], "no dashboard panel shows %s", n)
	}
	// Every name that looks like one of ours is one of ours (no typos).
	prefixes := []string{"task", "dlq_", "system_", "http_", "auth_", "rate_limit", "circuit_", "periodic_", "queue_", "leader_", "quota_"}
	for id := range used {
		if slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(id, p) }) {
			require.Contains(t, families, id, "dashboard uses an unknown metric")
		}
	}
}

func TestAlertsUseKnownMetrics(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("prometheus/alerts.yml")
	require.NoError(t, err)
	seen := map[string]bool{}
	families := defaultFamilies(t)
	for _, id := range ourName.FindAllString(string(raw), -1) {
		require.Contains(t, families, id, "alerts.yml uses an unknown metric")
		seen[id] = true
	}
	require.Len(t, seen, 8, "every alert reads one of our families: %v", seen)
}

// ourName matches words that look like taskq metric names.
var ourName = regexp.MustCompile(`\b(?:tasks?_|dlq_|system_|http_|auth_failures|rate_limit|circuit_breaker)[a-z0-9_]*\b`)
