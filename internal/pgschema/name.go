package pgschema

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Default is the schema used when none is configured.
const Default = "taskq"

// Placeholder stands for the quoted schema in SQL text (see Expand).
const Placeholder = "{schema}"

// validName is an unquoted-style PostgreSQL identifier: lower case (so the
// name means the same quoted or not), at most 63 bytes (NAMEDATALEN-1).
var validName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Validate reports whether name may be used as a schema: lower-case
// letters, digits and underscores, starting with a letter or underscore,
// at most 63 characters, and not a system schema (pg_*,
// information_schema). The error names the setting as owner (for
// example "postgres: Config.Schema").
func Validate(owner, name string) error {
	switch {
	case !validName.MatchString(name):
		return fmt.Errorf("%s %q is not a valid schema name (lower-case letters, digits and _, starting with a letter or _, at most 63)", owner, name)
	case strings.HasPrefix(name, "pg_") || name == "information_schema":
		return fmt.Errorf("%s %q is a system schema", owner, name)
	}
	return nil
}

// Ident returns name quoted as an SQL identifier.
func Ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// Expand replaces every {schema} in sql by the quoted identifier ident.
func Expand(sql, ident string) string { return strings.ReplaceAll(sql, Placeholder, ident) }

// LockKey returns a pg_advisory_lock key for purpose in schema: the same
// in every process, different (barring a hash collision) for another
// schema or purpose.
func LockKey(schema, purpose string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("taskq\x00" + schema + "\x00" + purpose))
	return int64(h.Sum64())
}
