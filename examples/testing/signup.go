// Package signup shows how to test taskq handlers with package taskqtest:
// a sign-up enqueues a welcome mail as a typed task, and the mail handler
// retries while the mail server is down. signup_test.go tests both, on the
// in-memory engine, without sleeping.
package signup

import (
	"context"
	"errors"
	"fmt"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/worker"
)

// WelcomeMail is the typed task a sign-up enqueues.
type WelcomeMail struct {
	UserID int64  `json:"user_id"`
	Email  string `json:"email"`
}

// Kind implements taskq.Args.
func (WelcomeMail) Kind() string { return "mail.welcome" }

// Mailer sends mail.
type Mailer interface {
	Send(ctx context.Context, to, subject string) error
}

// ErrNoMailbox is a permanent failure: retrying cannot help.
var ErrNoMailbox = errors.New("mailbox does not exist")

// SignUp registers a user and enqueues the welcome mail.
func SignUp(ctx context.Context, c *taskq.Client, userID int64, email string) (*taskq.Task, error) {
	return c.EnqueueArgs(ctx, WelcomeMail{UserID: userID, Email: email}, taskq.WithMaxRetries(5))
}

// SendWelcome is the handler of WelcomeMail.
func SendWelcome(m Mailer) func(ctx context.Context, j *taskq.Job[WelcomeMail]) (any, error) {
	return func(ctx context.Context, j *taskq.Job[WelcomeMail]) (any, error) {
		err := m.Send(ctx, j.Args.Email, fmt.Sprintf("Welcome, user %d", j.Args.UserID))
		if errors.Is(err, ErrNoMailbox) {
			return nil, taskq.Permanent(err)
		}
		if err != nil {
			return nil, err
		}
		return map[string]any{"sent_to": j.Args.Email}, nil
	}
}

// Register registers the handlers on w.
func Register(w *worker.Worker, m Mailer) {
	worker.HandleArgs(w, SendWelcome(m))
}
