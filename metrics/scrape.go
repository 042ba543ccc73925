package metrics

import (
	"context"
	"log/slog"
	"time"
)

// readAtScrape calls fn at scrape time, bounded by timeout. A failure is logged
// as a warning naming the metric, and ok is false: the collector skips its
// samples and the scrape itself does not fail.
func readAtScrape[T any](log *slog.Logger, timeout time.Duration, metric, what string, fn func(context.Context) (T, error)) (v T, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	v, err := fn(ctx)
	if err != nil {
		log.Warn(metric+": reading "+what+" failed; samples skipped", "err", err)
		return v, false
	}
	return v, true
}
