package metrics

// RateLimitExceeded counts a request refused by the rate limit of scope
// (e.g. ScopePrincipal) in rate_limit_exceeded_total{scope}.
func (m *Metrics) RateLimitExceeded(scope string) {
	_, c := m.rateLimited.get(scope)
	c.Inc()
}

// QuotaExceeded counts a task refused because its owner's quota of limit
// (QuotaPendingTasks, QuotaMetadataBytes) is used up, in
// quota_exceeded_total{limit}.
func (m *Metrics) QuotaExceeded(limit string) {
	_, c := m.quotas.get(limit)
	c.Inc()
}

// AuthFailure counts a failed authentication in
// auth_failures_total{reason}; reason is auth.ReasonOf(err) of package
// auth (see DefaultAuthReasons).
func (m *Metrics) AuthFailure(reason string) {
	_, c := m.authFailures.get(reason)
	c.Inc()
}

// BreakerState sets circuit_breaker_state{breaker=name}: BreakerClosed (0),
// BreakerHalfOpen (1) or BreakerOpen (2). It does not count trips: call
// BreakerTrip on each transition to open.
func (m *Metrics) BreakerState(name string, state int) {
	_, c := m.breakers.get(name)
	c.state.Set(float64(state))
}

// BreakerTrip counts a transition of breaker name to open in
// circuit_breaker_trips_total{breaker}.
func (m *Metrics) BreakerTrip(name string) {
	_, c := m.breakers.get(name)
	c.trips.Inc()
}

// SetDLQSize sets dlq_size when Config.DLQSize is nil (it is ignored
// otherwise: the function is called at each scrape).
func (m *Metrics) SetDLQSize(n int) {
	m.dlqSize.set(n)
}
