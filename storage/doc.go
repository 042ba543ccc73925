// Package storage holds the in-memory [taskq.StorageAdapter] and
// [taskq.KeyStore], [Memory]: the embedded default and the reference that
// the PostgreSQL backend in storage/postgres is checked against.
//
// Every backend passes the conformance suite in storage/storagetest.
package storage
