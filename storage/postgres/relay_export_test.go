package postgres

// Leading reports whether the relay holds the schema's relay lock and
// listens (tests).
func (r *Relay) Leading() bool { return r.leading.Load() }
