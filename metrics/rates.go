package metrics

// Rates returns what task_processing_rate and task_error_rate report in
// this process: task attempts finished (rescheduled ones excluded) and
// failed (status failed or dead_letter) per minute, over
// Config.RateWindow.
func (m *Metrics) Rates() (processed, failed float64) {
	return m.processedWin.perMinute(), m.errorWin.perMinute()
}

// RateWindowSeconds returns the length of the sliding window of Rates, in
// seconds.
func (m *Metrics) RateWindowSeconds() int { return len(m.processedWin.counts) }
