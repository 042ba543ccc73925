// Package leadertest is the conformance suite of leader.Store: the same
// tests run on every implementation (memory, Redis, PostgreSQL), directly
// on the store and through leader.Elector. Call Run from a test of the
// implementation's package.
package leadertest
