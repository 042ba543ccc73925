package redisstore

// KeyPrefix returns the store's key prefix (Config.KeyPrefix or its
// default), so that companions such as auth/rediskeys can share the data
// set's name.
func (s *Store) KeyPrefix() string { return s.cfg.KeyPrefix }
