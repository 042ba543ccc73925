package timerange

import (
	"testing"
	"time"
)

func TestValid(t *testing.T) {
	t.Parallel()
	plus14 := time.FixedZone("+14", 14*3600)
	minus12 := time.FixedZone("-12", -12*3600)
	cases := []struct {
		t    time.Time
		want bool
	}{
		{time.Now(), true},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), true},
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{time.Date(9999, 12, 31, 20, 0, 0, 0, minus12), false}, // 10000-01-01 in UTC
		{time.Date(1, 1, 1, 5, 0, 0, 0, plus14), false},        // year 0 in UTC
		{time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC), false},
		{time.Unix(1<<62, 0), false},
		{time.Time{}, true}, // the zero time is year 1: callers treat it as "unset"
	}
	for _, c := range cases {
		if got := Valid(c.t); got != c.want {
			t.Errorf("Valid(%v) = %v, want %v", c.t, got, c.want)
		}
	}
}
