package periodic

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func mustParse(t *testing.T, s Schedule) ticker {
	t.Helper()
	if s.Name == "" {
		s.Name = "s"
	}
	if s.Type == "" {
		s.Type = "t"
	}
	tk, err := s.parse()
	require.NoError(t, err)
	return tk
}

func TestIntervalTicksAlignToTheEpoch(t *testing.T) {
	tk := mustParse(t, Schedule{Spec: "@every 10s"})
	at := time.Date(2026, 3, 1, 12, 0, 3, 500, time.UTC)
	require.Equal(t, time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC), tk.next(at))
	require.Equal(t, time.Date(2026, 3, 1, 12, 0, 20, 0, time.UTC), tk.next(tk.next(at)), "strictly after")
	p, ok := prev(tk, time.Date(2026, 3, 1, 12, 0, 10, 0, time.UTC))
	require.True(t, ok)
	require.Equal(t, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), p, "strictly before")
	// Two replicas started at different times agree on the ticks.
	require.Equal(t, tk.next(at), mustParse(t, Schedule{Spec: "@every 10s"}).next(at.Add(-3*time.Second)))
}

func TestCronInTimeZone(t *testing.T) {
	tk := mustParse(t, Schedule{Spec: "0 9 * * *", TimeZone: "Europe/Paris"})
	// 09:00 in Paris is 07:00 UTC in summer and 08:00 UTC in winter.
	require.Equal(t, time.Date(2026, 7, 1, 7, 0, 0, 0, time.UTC), tk.next(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)))
	require.Equal(t, time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC), tk.next(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)))
	utc := mustParse(t, Schedule{Spec: "0 9 * * *"})
	require.Equal(t, time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC), utc.next(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)))

	sec := mustParse(t, Schedule{Spec: "*/15 * * * * *"})
	require.Equal(t, time.Date(2026, 7, 1, 0, 0, 15, 0, time.UTC), sec.next(time.Date(2026, 7, 1, 0, 0, 1, 0, time.UTC)), "six fields: seconds first")
	daily := mustParse(t, Schedule{Spec: "@daily"})
	p, ok := prev(daily, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC))
	require.True(t, ok)
	require.Equal(t, time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC), p)
	yearly := mustParse(t, Schedule{Spec: "@yearly"})
	p, ok = prev(yearly, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC))
	require.True(t, ok)
	require.Equal(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), p)
}

func TestScheduleValidation(t *testing.T) {
	for _, tc := range []struct {
		s    Schedule
		want string
	}{
		{Schedule{Name: "", Spec: "@hourly", Type: "t"}, "name"},
		{Schedule{Name: "a b", Spec: "@hourly", Type: "t"}, "name"},
		{Schedule{Name: "a", Spec: "", Type: "t"}, "empty spec"},
		{Schedule{Name: "a", Spec: "* * *", Type: "t"}, "a:"},
		{Schedule{Name: "a", Spec: "@every 10ms", Type: "t"}, "at least 1s"},
		{Schedule{Name: "a", Spec: "@every soon", Type: "t"}, "@every"},
		{Schedule{Name: "a", Spec: "CRON_TZ=UTC 0 * * * *", Type: "t"}, "TimeZone"},
		{Schedule{Name: "a", Spec: "@hourly", TimeZone: "Mars/Olympus", Type: "t"}, "time zone"},
		{Schedule{Name: "a", Spec: "@hourly"}, "Type or Args"},
		{Schedule{Name: "a", Spec: "@hourly", Type: "t", Args: testArgs{}}, "Args excludes"},
		{Schedule{Name: "a", Spec: "@hourly", Type: "t", Missed: "always"}, "missed policy"},
	} {
		_, err := tc.s.parse()
		require.ErrorContains(t, err, tc.want, "%+v", tc.s)
	}
}

type testArgs struct {
	N int `json:"n"`
}

func (testArgs) Kind() string { return "typed" }
