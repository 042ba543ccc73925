package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSchedulesCreateDelete: an admin creates a stored schedule from the
// command line (table and JSON answers), it is listed and ticks, names
// already taken and invalid values are refused with their exit codes, a
// user key is not enough, and it is deleted.
func TestSchedulesCreateDelete(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	env := map[string]string{"TASKQ_URL": base, "TASKQ_API_KEY": adminKey}

	r := cli(t, env, "schedules", "create", "beat", "--every", "1s", "--type", "noop", "--priority", "high",
		"--metadata", `{"k":1}`).ok(t)
	require.Regexp(t, `(?m)^NAME\s+SPEC\s+`, r.stdout)
	require.Regexp(t, `(?m)^beat\s+@every 1s\s+`, r.stdout)
	r = cli(t, env, "schedules", "create", "--name", "paris", "--cron", "0 9 * * 1-5", "--timezone", "Europe/Paris",
		"--type", "noop", "--missed", "catch_up_once", "-o", "json").ok(t)
	created := jsonOf[map[string]any](t, r)
	require.Equal(t, "paris", created["name"])
	require.Equal(t, "0 9 * * 1-5", created["spec"])
	require.Equal(t, "Europe/Paris", created["timezone"])
	require.Equal(t, "catch_up_once", created["missed"])

	// Taken names: a stored one, one of the server settings.
	r = cli(t, env, "schedules", "create", "beat", "--every", "1m", "--type", "noop").exit(t, exitConflict)
	require.Contains(t, r.stderr, "exists")
	r = cli(t, env, "schedules", "create", "nightly", "--every", "1m", "--type", "noop").exit(t, exitConflict)
	require.Contains(t, r.stderr, "TASKQ_SCHEDULES")
	// Invalid values, refused by the server or the command line.
	r = cli(t, env, "schedules", "create", "x", "--cron", "every hour", "--type", "noop").exit(t, exitInvalid)
	require.Contains(t, r.stderr, "spec")
	r = cli(t, env, "schedules", "create", "x", "--cron", "@daily", "--timezone", "Nowhere/Land", "--type", "noop").exit(t, exitInvalid)
	require.Contains(t, r.stderr, "timezone")
	cli(t, env, "schedules", "create", "x", "--cron", "@daily", "--every", "1h", "--type", "noop").exit(t, exitUsage)
	cli(t, env, "schedules", "create", "x", "--type", "noop").exit(t, exitUsage)
	cli(t, env, "schedules", "create", "x", "--every", "1h").exit(t, exitUsage)
	cli(t, env, "schedules", "delete").exit(t, exitUsage)

	// A user key may list, not create or delete.
	user := jsonOf[map[string]any](t, cli(t, env, "keys", "create", "reader", "-o", "json").ok(t))["key"].(string)
	uenv := map[string]string{"TASKQ_URL": base, "TASKQ_API_KEY": user}
	cli(t, uenv, "schedules", "create", "y", "--every", "1h", "--type", "noop").exit(t, exitAuth)
	cli(t, uenv, "schedules", "delete", "beat").exit(t, exitAuth)
	r = cli(t, uenv, "schedules", "list").ok(t)
	require.Regexp(t, `(?m)^beat\s+@every 1s\s+`, r.stdout)
	require.Regexp(t, `(?m)^paris\s+0 9 \* \* 1-5\s+Europe/Paris`, r.stdout)

	// beat ticks: its last run appears in the list.
	type listing struct {
		Schedules []struct {
			Name    string     `json:"name"`
			Stored  bool       `json:"stored"`
			LastRun *time.Time `json:"last_run"`
		} `json:"schedules"`
	}
	deadline := time.Now().Add(20 * time.Second)
	for ran := false; !ran; time.Sleep(20 * time.Millisecond) { // polling interval
		require.True(t, time.Now().Before(deadline), "beat never ran")
		for _, s := range jsonOf[listing](t, cli(t, env, "schedules", "list", "-o", "json").ok(t)).Schedules {
			if s.Name == "beat" {
				require.True(t, s.Stored)
				ran = s.LastRun != nil
			}
		}
	}

	r = cli(t, env, "schedules", "delete", "beat").ok(t)
	require.Equal(t, "deleted schedule beat\n", r.stdout)
	cli(t, env, "schedules", "delete", "beat", "-o", "json").exit(t, exitNotFound)
	r = cli(t, env, "schedules", "delete", "nightly").exit(t, exitConflict)
	require.Contains(t, r.stderr, "cannot be deleted")
	r = cli(t, env, "schedules", "list").ok(t)
	require.False(t, strings.Contains(r.stdout, "beat"), r.stdout)
	require.Contains(t, r.stdout, "nightly")
}
