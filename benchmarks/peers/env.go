package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// env is what the targets share: the servers, the options and the
// migrated template databases.
type env struct {
	o   options
	srv *servers
	seq atomic.Int64

	mu        sync.Mutex
	templates map[string]bool
}

func newEnv(o options, srv *servers) *env {
	return &env{o: o, srv: srv, templates: map[string]bool{}}
}

// flushRedis empties the Redis server between phases.
func (e *env) flushRedis(ctx context.Context) error {
	c := redis.NewClient(&redis.Options{Addr: e.srv.redisAddr})
	defer c.Close()
	return c.FlushAll(ctx).Err()
}

// redisURL is the URL of the Redis server.
func (e *env) redisURL() string { return "redis://" + e.srv.redisAddr + "/0" }

// admin runs a statement on the maintenance database.
func (e *env) admin(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, e.srv.pgURL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// template returns the database name, migrated once by migrate (which
// must close its connections, so the database can serve as a template).
func (e *env) template(ctx context.Context, name string, migrate func(ctx context.Context, url string) error) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.templates[name] {
		return name, nil
	}
	if err := e.admin(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create template %s: %w", name, err)
	}
	if err := migrate(ctx, e.srv.pgURL(name)); err != nil {
		return "", fmt.Errorf("migrate template %s: %w", name, err)
	}
	e.templates[name] = true
	return name, nil
}

// phaseDB creates a database for one phase as a copy of template (empty:
// an empty database) and returns its name and a function that drops it.
func (e *env) phaseDB(ctx context.Context, template string) (string, func() error, error) {
	name := "phase" + strconv.FormatInt(e.seq.Add(1), 10)
	q := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		q += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if err := e.admin(ctx, q); err != nil {
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	drop := func() error {
		return e.admin(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	}
	return name, drop, nil
}

// poolURL is the URL of database db with the run's pool size.
func (e *env) poolURL(db string) string {
	u := e.srv.pgURL(db)
	if e.o.pgPool > 0 {
		u += "&pool_max_conns=" + url.QueryEscape(strconv.Itoa(e.o.pgPool))
	}
	return u
}
