package signup_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/examples/testing"
	"github.com/taskq/taskq/taskqtest"
)

// flakyMailer fails its first failures sends, then records the mail.
type flakyMailer struct {
	mu       sync.Mutex
	failures int
	err      error
	sent     []string
}

func (m *flakyMailer) Send(_ context.Context, to, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	if m.failures > 0 {
		m.failures--
		return errors.New("connection refused")
	}
	m.sent = append(m.sent, to)
	return nil
}

// The sign-up enqueues exactly the expected typed task.
func TestSignUpEnqueuesWelcome(t *testing.T) {
	e := taskqtest.New(t)
	_, err := signup.SignUp(context.Background(), e.Client, 42, "ada@example.com")
	require.NoError(t, err)
	taskqtest.RequireEnqueued(t, e.Store, signup.WelcomeMail{UserID: 42, Email: "ada@example.com"})
	taskqtest.RequireNotEnqueued(t, e.Store, signup.WelcomeMail{UserID: 43, Email: "ada@example.com"})
}

// The handler retries a mail server outage and then succeeds; the test
// waits for the outcome instead of sleeping.
func TestWelcomeRetriesThenSends(t *testing.T) {
	e := taskqtest.New(t)
	m := &flakyMailer{failures: 2}
	signup.Register(e.Worker, m)
	tk, err := signup.SignUp(context.Background(), e.Client, 42, "ada@example.com")
	require.NoError(t, err)
	done := e.WaitStatus(tk.ID, taskq.StatusCompleted)
	require.Equal(t, 3, done.Attempts)
	require.JSONEq(t, `{"sent_to":"ada@example.com"}`, string(done.Result))
	require.Equal(t, []string{"ada@example.com"}, m.sent)
}

// A missing mailbox is permanent: no retry, straight to the DLQ.
func TestWelcomeToMissingMailboxIsPermanent(t *testing.T) {
	_, err := taskqtest.Run(t, signup.SendWelcome(&flakyMailer{err: signup.ErrNoMailbox}),
		signup.WelcomeMail{UserID: 1, Email: "nobody@example.com"})
	require.ErrorIs(t, err, signup.ErrNoMailbox)
	require.False(t, taskq.AsError(err).Retryable)
}
