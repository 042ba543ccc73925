package pgschema

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A small runner (~100 lines) instead of a migration library: goose (or
// golang-migrate) is not among the pinned modules, and all that is needed
// is ordered, embedded, forward-only SQL files applied once each under an
// advisory lock, every file in its own transaction.

// Migration is one SQL file of a set.
type Migration struct {
	// Version is the number the file name starts with.
	Version int
	// Name is the file name.
	Name string
	// SQL is the file's text, {schema} not yet expanded.
	SQL string
}

// Load reads the migrations of dir in fsys in version order. File names
// are NNNN_name.sql with unique positive versions.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	seen := map[int]bool{}
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || seen[v] || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("pgschema: bad migration file name %q", e.Name())
		}
		seen[v] = true
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// Set is a set of migrations kept in one schema, with its bookkeeping
// table there.
type Set struct {
	// Schema holds the objects and the bookkeeping table (validated by the
	// caller with Validate).
	Schema string
	// Table is the bookkeeping table's name inside Schema; several sets
	// share a schema with a table each.
	Table string
	// Migrations are the set's files in version order (see Load).
	Migrations []Migration
	// Legacy, when set, names a table whose presence in Schema means an
	// earlier layout of the objects is there: Migrate then refuses to run
	// rather than build over it.
	Legacy string
}

// Migrate creates the schema if missing and applies the pending
// migrations of set, and returns how many it applied. It holds a session
// advisory lock (per schema) on one connection for the whole run, so
// concurrent callers apply each migration once.
func Migrate(ctx context.Context, pool *pgxpool.Pool, set Set) (applied int, err error) {
	ident := Ident(set.Schema)
	table := ident + "." + Ident(set.Table)
	lockKey := LockKey(set.Schema, "migrate")
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return 0, err
	}
	defer func() {
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockKey); uerr != nil {
			// The lock dies with the session: drop the connection.
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+ident); err != nil {
		return 0, err
	}
	if set.Legacy != "" {
		var hasTable, hasLegacy bool
		err := conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL, to_regclass($2) IS NOT NULL`,
			table, ident+"."+Ident(set.Legacy)).Scan(&hasTable, &hasLegacy)
		if err != nil {
			return 0, err
		}
		if hasLegacy && !hasTable {
			return 0, fmt.Errorf("schema %s holds tables of an earlier taskq version (table %s): "+
				"use another schema or move them away; nothing was changed", set.Schema, set.Legacy)
		}
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+table+` (
		version    integer     PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return 0, err
	}
	rows, err := conn.Query(ctx, "SELECT version FROM "+table)
	if err != nil {
		return 0, err
	}
	done, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return 0, err
	}
	have := map[int]bool{}
	for _, v := range done {
		have[int(v)] = true
	}
	for _, m := range set.Migrations {
		if have[m.Version] {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, Expand(m.SQL, ident)); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			_, err := tx.Exec(ctx, "INSERT INTO "+table+" (version, name) VALUES ($1, $2)", m.Version, m.Name)
			return err
		})
		if err != nil {
			return applied, err
		}
		applied++
	}
	return applied, nil
}
