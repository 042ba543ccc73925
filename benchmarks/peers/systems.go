package main

import (
	"context"
	"runtime/debug"
)

// system is one column of the table.
type system struct {
	id    string // -systems name
	title string // column heading
	redis bool   // needs the Redis server
	pg    bool   // needs the PostgreSQL server
	open  func(ctx context.Context, e *env) (target, error)
}

func taskqOpener(dep string) func(context.Context, *env) (target, error) {
	return func(ctx context.Context, e *env) (target, error) { return openTaskq(ctx, e, dep) }
}

func systems() []system {
	return []system{
		{id: deployRedisPG, title: "taskq redis+postgres", redis: true, pg: true, open: taskqOpener(deployRedisPG)},
		{id: deployPGOnly, title: "taskq postgres-only", pg: true, open: taskqOpener(deployPGOnly)},
		{id: deployRedis, title: "taskq redis-only", redis: true, open: taskqOpener(deployRedis)},
		{id: deployMemory, title: "taskq memory", open: taskqOpener(deployMemory)},
		{id: "asynq", title: "asynq " + moduleVersion("github.com/hibiken/asynq"), redis: true, open: openAsynq},
		{id: "river", title: "River " + moduleVersion("github.com/riverqueue/river"), pg: true, open: openRiver},
	}
}

func systemIDs() []string {
	var ids []string
	for _, s := range systems() {
		ids = append(ids, s.id)
	}
	return ids
}

func systemByID(id string) *system {
	for _, s := range systems() {
		if s.id == id {
			return &s
		}
	}
	return nil
}

// moduleVersion is the version of a dependency built into the binary.
func moduleVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return ""
}
