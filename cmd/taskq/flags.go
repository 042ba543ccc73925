package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// globals are the flags every command accepts, before or after the
// command's name.
type globals struct {
	url, apiKey, config, output string
	httpTimeout                 time.Duration
	set                         map[string]bool // the flags given on the command line
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.url, "url", g.url, "server base URL (env TASKQ_URL)")
	fs.StringVar(&g.apiKey, "api-key", g.apiKey, "API key (env TASKQ_API_KEY)")
	fs.StringVar(&g.config, "config", g.config, "config file (env TASKQ_CONFIG)")
	fs.StringVar(&g.output, "output", g.output, "table or json")
	fs.StringVar(&g.output, "o", g.output, "table or json (short for --output)")
	dflt := g.httpTimeout
	if dflt == 0 {
		dflt = 30 * time.Second
	}
	fs.DurationVar(&g.httpTimeout, "http-timeout", dflt, "bound of one HTTP request")
}

// noteSet records which global flags fs was given.
func (g *globals) noteSet(fs *flag.FlagSet) {
	if g.set == nil {
		g.set = map[string]bool{}
	}
	fs.Visit(func(f *flag.Flag) { g.set[f.Name] = true })
}

func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseArgs parses args with fs, flags and positional arguments in any
// order ("get ID -o json" and "get -o json ID" alike; "--" ends the
// flags), and returns the positional arguments.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usageErr is a command-line mistake: exit code 2.
type usageErr struct{ msg string }

func (e *usageErr) Error() string { return e.msg }

func errorf(format string, args ...any) error {
	return &usageErr{msg: fmt.Sprintf(format, args...)}
}

func usageError(stderr io.Writer, err error) int {
	msg := err.Error()
	if errors.Is(err, flag.ErrHelp) {
		msg = "see taskq help"
	}
	fmt.Fprintf(stderr, "taskq: %s\n", strings.TrimSpace(msg))
	return exitUsage
}

// parseTime reads an RFC 3339 time.
func parseTime(flagName, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, errorf("--%s: %q is not an RFC 3339 time such as 2030-01-02T15:04:05Z", flagName, v)
	}
	return t, nil
}
