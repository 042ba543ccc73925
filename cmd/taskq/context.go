package main

import (
	"context"
	"errors"
	"flag"
	"io"
)

// cmdContext is what a subcommand works with.
type cmdContext struct {
	name           string
	stdout, stderr io.Writer
	getenv         func(string) string
	g              globals
	api            *client
}

// flags returns the subcommand's flag set with the global flags on it.
func (c *cmdContext) flags() *flag.FlagSet {
	fs := newFlagSet("taskq " + c.name)
	c.g.register(fs)
	return fs
}

// setup parses args, checks the number of positional arguments
// (between min and max) and connects. It returns the positional
// arguments.
func (c *cmdContext) setup(fs *flag.FlagSet, args []string, min, max int, argNames string) ([]string, error) {
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		writeHelp(c.stdout)
		return nil, &exitErr{code: exitOK}
	}
	if err != nil {
		return nil, &usageErr{msg: err.Error()}
	}
	switch {
	case len(pos) < min:
		return nil, errorf("missing %s (usage: taskq %s %s)", argNames, c.name, argNames)
	case len(pos) > max:
		return nil, errorf("unexpected argument %q (usage: taskq %s %s)", pos[max], c.name, argNames)
	}
	c.g.noteSet(fs)
	switch c.g.output {
	case "", "table":
		c.g.output = "table"
	case "json":
	default:
		return nil, errorf("-o: unknown output format %q (table or json)", c.g.output)
	}
	if c.g.httpTimeout <= 0 {
		return nil, errorf("--http-timeout must be positive")
	}
	s, err := resolve(c.g, c.getenv)
	if err != nil {
		return nil, err
	}
	c.api = newClient(s, c.g.httpTimeout)
	return pos, nil
}

func (c *cmdContext) json() bool { return c.g.output == "json" }

func (c *cmdContext) ctx() context.Context { return context.Background() }
