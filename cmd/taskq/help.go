package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// subcommand runs one command with its arguments (after the command's
// name); its error decides the exit code (see exitCode).
type subcommand func(c *cmdContext, args []string) error

// group is the subcommands of one command.
type group map[string]subcommand

func (g group) names() string {
	var out []string
	for n := range g {
		out = append(out, n)
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// commands maps each command to its subcommands.
var commands = map[string]group{
	"tasks":     {"list": tasksList, "get": tasksGet, "enqueue": tasksEnqueue, "cancel": tasksCancel, "wait": tasksWait},
	"dlq":       {"list": dlqList, "retry": dlqRetry, "delete": dlqDelete, "cleanup": dlqCleanup},
	"keys":      {"create": keysCreate, "list": keysList, "revoke": keysRevoke},
	"queues":    {"list": queuesList, "pause": queuesPause, "resume": queuesResume},
	"schedules": {"list": schedulesList, "create": schedulesCreate, "delete": schedulesDelete},
}

const helpText = `taskq operates a taskq server over its HTTP API.

Usage:
  taskq [global flags] COMMAND SUBCOMMAND [flags] [args]

Commands:
  tasks list      [--status S[,S]] [--type T] [--priority P] [--limit N] [--cursor C] [--all]
  tasks get       ID
  tasks enqueue   TYPE [--metadata JSON|@FILE] [--description D] [--priority P] [--max-retries N]
                  [--queue Q] [--run-at TIME] [--deadline TIME] [--attempt-timeout DUR] [--idempotency-key K]
                  [--unique] [--unique-by-args] [--unique-fields F[,F]] [--unique-by-queue] [--unique-key K]
                  [--unique-period DUR] [--unique-states S[,S]]
  tasks cancel    ID
  tasks wait      ID [--timeout 5m] [--interval 500ms]
  dlq list        [--type T] [--limit N] [--cursor C] [--all]            (admin)
  dlq retry       ID                                                      (admin)
  dlq retry       --all | [--type T] [--code C] [--since TIME|DUR] [--until TIME|DUR] [--limit N]  (admin)
  dlq delete      ID                                                      (admin)
  dlq cleanup     [--older-than TIME|DURATION]                            (admin)
  keys create     NAME [--role user|admin] [--expires-at TIME | --expires-in DUR]  (admin)
  keys list                                                               (admin)
  keys revoke     ID                                                      (admin)
  queues list | pause NAME | resume NAME                                  (admin)
  schedules list
  schedules create NAME --cron EXPR|--every DUR --type T [--timezone TZ] [--metadata JSON|@FILE]
                  [--queue Q] [--priority P] [--missed skip|catch_up_once]        (admin)
  schedules delete NAME                                                   (admin)
  help

Global flags (also accepted after the subcommand):
  --url URL             server base URL (env TASKQ_URL; default http://127.0.0.1:8080)
  --api-key KEY         API key sent as X-API-Key (env TASKQ_API_KEY)
  --config FILE         config file (env TASKQ_CONFIG; default $XDG_CONFIG_HOME/taskq/config.json,
                        else ~/.config/taskq/config.json); JSON {"url": "...", "api_key": "..."},
                        refused unless only its owner can read it (chmod 600)
  -o, --output FORMAT   table (default, for people) or json (for scripts)
  --http-timeout DUR    bound of one HTTP request (default 30s)

A flag wins over the environment, the environment over the config file.
TIME is RFC 3339 (2030-01-02T15:04:05Z); DUR is a Go duration (90s, 15m, 24h).

Exit codes:
  0  success
  1  any other failure: network, server error (5xx), rate limited (429), malformed answer;
     tasks wait: the task ended cancelled or dead-lettered
  2  usage: bad command line or configuration
  3  not found (404): no such task, DLQ entry, key or queue
  4  authentication or permission (401, 403): missing, wrong or revoked key; not an admin
  5  conflict (409): task already terminal, DLQ retry limit reached, Idempotency-Key reused,
     schedule name taken (or a schedule of the server settings)
  6  invalid input (400, 413, 422): the server refused the values given
  7  timeout: tasks wait gave up before the task was terminal
  8  not supported: the server does not have this endpoint (404 no such route)
`

func writeHelp(w io.Writer) { fmt.Fprint(w, helpText) }
