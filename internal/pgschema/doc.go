// Package pgschema places the PostgreSQL objects of a taskq package in a
// schema of its own and applies its embedded migrations there.
//
// SQL text names the schema with the placeholder {schema}, which Expand
// replaces by the quoted identifier; nothing relies on the search_path of
// the connection pool, which belongs to the host application.
package pgschema
