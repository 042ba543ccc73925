package tasktypes

import (
	"context"
	"fmt"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/worker"
)

// The names of the built-in task types.
const (
	Noop  = "noop"
	Sleep = "sleep"
	Fail  = "fail"
	Flaky = "flaky"
	HTTP  = "http"
)

// Type is a task type: its handler, its worker options and the check of
// its metadata at creation.
type Type struct {
	// Name is the task type, as in Task.Type.
	Name string
	// Handler runs the tasks of the type.
	Handler taskq.Handler
	// Config holds the worker's per-type options (timeout, backoff,
	// dependencies).
	Config worker.TypeConfig
	// Validate checks the metadata of a new task and returns one problem
	// per bad field, named "metadata.<key>"; nil accepts any metadata. It
	// gets the metadata as the handler will: numbers are json.Numbers
	// (taskq.DecodeMetadata).
	Validate func(metadata map[string]any) []taskq.FieldError
}

// Config configures the built-in types. The zero value works: the http
// type then refuses every URL, as no host is allowed.
type Config struct {
	// HTTP configures the http type.
	HTTP HTTPConfig
}

// Builtins returns the built-in types: noop, sleep, fail, flaky and http.
func Builtins(cfg Config) ([]Type, error) {
	h, err := NewHTTPType(cfg.HTTP)
	if err != nil {
		return nil, err
	}
	return []Type{NoopType(), SleepType(), FailType(), FlakyType(), h}, nil
}

// Register registers types on w: their handlers and worker options.
func Register(w *worker.Worker, types ...Type) error {
	for _, t := range types {
		if t.Name == "" || t.Handler == nil {
			return fmt.Errorf("tasktypes: type %q needs a name and a handler", t.Name)
		}
		w.Handle(t.Name, t.Handler)
		w.Configure(t.Name, t.Config)
	}
	return nil
}

// NoopType returns the noop type: it succeeds at once with {"ok": true}.
func NoopType() Type {
	return Type{
		Name: Noop,
		Handler: taskq.HandlerFunc(func(context.Context, *taskq.Task) (any, error) {
			return map[string]any{"ok": true}, nil
		}),
	}
}
