// Package storage holds the in-memory [taskq.StorageAdapter], [Memory]: the
// embedded default and the reference that the PostgreSQL backend in
// storage/postgres is checked against. Both store and return metadata in
// one form (see [taskq.NormalizeMetadata]) and name their data set
// ([taskq.StorageIdentity]).
//
// Every backend passes the conformance suite in storage/storagetest. API
// keys are not stored here: see package auth.
package storage
