package storagetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// testSchedules: schedule definitions round-trip (metadata numbers as
// json.Number, Created stamped when zero, UTC), names are unique
// (ErrConflict), deleting a missing one is ErrNotFound, the list is sorted
// by name and seen by a second handle on the same data would be (the
// factory isolates instances, so this store starts empty). Skipped for a
// storage without taskq.ScheduleStore.
func testSchedules(t *testing.T, f Factory) {
	ctx, s := setup(t, f)
	ss, ok := s.(taskq.ScheduleStore)
	if !ok {
		t.Skip("the storage has no taskq.ScheduleStore")
	}
	got, err := ss.ListSchedules(ctx)
	require.NoError(t, err)
	require.Empty(t, got)

	created := time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.FixedZone("x", 3600))
	nightly := taskq.StoredSchedule{Name: "nightly", Spec: "30 2 * * *", TimeZone: "Europe/Paris", Type: "report",
		Metadata: map[string]any{"n": 1, "to": "ops"}, Queue: "cron", Priority: taskq.PriorityHigh,
		Missed: "catch_up_once", Created: created}
	before := time.Now().UTC().Add(-time.Second)
	require.NoError(t, ss.CreateSchedule(ctx, nightly))
	require.NoError(t, ss.CreateSchedule(ctx, taskq.StoredSchedule{Name: "beat", Spec: "@every 1s", Type: "noop"}))

	dup := nightly
	dup.Spec = "@hourly"
	err = ss.CreateSchedule(ctx, dup)
	require.ErrorIs(t, err, taskq.ErrConflict, "a name is taken once")
	require.NotErrorIs(t, err, taskq.ErrDuplicate)

	for _, bad := range []taskq.StoredSchedule{
		{Spec: "@hourly", Type: "noop"},
		{Name: "no spec", Type: "noop"},
		{Name: "no-spec", Type: "noop"},
		{Name: "no-type", Spec: "@hourly"},
		{Name: "bad-priority", Spec: "@hourly", Type: "noop", Priority: 9},
		{Name: "bad-metadata", Spec: "@hourly", Type: "noop", Metadata: map[string]any{"f": func() {}}},
	} {
		err := ss.CreateSchedule(ctx, bad)
		require.Error(t, err, bad.Name)
		var te *taskq.Error
		require.ErrorAs(t, err, &te, bad.Name)
		require.Equal(t, taskq.CodeInvalidInput, te.Code, bad.Name)
	}

	got, err = ss.ListSchedules(ctx)
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "beat", got[0].Name, "sorted by name")
	require.Equal(t, "@every 1s", got[0].Spec)
	require.Equal(t, taskq.PriorityLow, got[0].Priority)
	require.Nil(t, got[0].Metadata)
	require.False(t, got[0].Created.Before(before.Truncate(time.Microsecond)), "Created stamped when zero")
	require.Equal(t, time.UTC, got[0].Created.Location())

	want := nightly
	want.Metadata = map[string]any{"n": json.Number("1"), "to": "ops"}
	want.Created = created.UTC()
	require.Equal(t, want, got[1])

	// What the caller gets is its own.
	got[1].Metadata["to"] = "changed"
	again, err := ss.ListSchedules(ctx)
	require.NoError(t, err)
	require.Equal(t, "ops", again[1].Metadata["to"])

	require.NoError(t, ss.DeleteSchedule(ctx, "nightly"))
	require.ErrorIs(t, ss.DeleteSchedule(ctx, "nightly"), taskq.ErrNotFound)
	require.ErrorIs(t, ss.DeleteSchedule(ctx, "never"), taskq.ErrNotFound)
	got, err = ss.ListSchedules(ctx)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, "beat", got[0].Name)

	// A deleted name is free again.
	require.NoError(t, ss.CreateSchedule(ctx, nightly))
}
