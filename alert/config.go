package alert

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/names"
)

// Default values of Config.
const (
	DefaultCheckInterval  = 30 * time.Second
	DefaultTimeout        = 10 * time.Second
	DefaultMaxRetries     = 8
	DefaultRetryBaseDelay = 10 * time.Second
	DefaultRetryMaxDelay  = 30 * time.Minute
	DefaultDeadLetterRate = 60
	DefaultBuffer         = 256
)

// MinSecretLength is the shortest Secret accepted, in bytes.
const MinSecretLength = 16

// Config configures a Notifier. The zero value works and sends nothing:
// alerts are on once URLs are set.
type Config struct {
	// URLs receive every event, each by its own delivery task. Only http
	// and https URLs without user info are accepted. URLs are never stored
	// in tasks nor logged whole (webhook URLs often carry a token): tasks
	// name their target by a hash and logs by host. Default none.
	URLs []string
	// Secret signs deliveries (HMAC-SHA256); required, at least
	// MinSecretLength bytes, when URLs are set.
	Secret Secret
	// Kinds, when not empty, restricts the events sent to these kinds.
	// Default: every kind.
	Kinds []Kind
	// DLQSizeThreshold, when positive, sends KindDLQSizeExceeded once the
	// DLQ holds more entries than this. Default 0: off.
	DLQSizeThreshold int
	// DLQSizeRearm is the size at or below which the DLQ size alert is
	// armed again after it fired, so a size hovering around the threshold
	// does not alert on every move. Default 90% of DLQSizeThreshold.
	DLQSizeRearm int
	// CheckInterval is how often Start's job checks the DLQ size (it is
	// also checked on every move through WrapDLQ). Default 30s.
	CheckInterval time.Duration
	// DeadLetterRate caps KindTaskDeadLettered events per minute; the
	// ones over it are dropped and counted in the "suppressed" field of
	// the next one sent. Default 60; negative means no cap.
	DeadLetterRate int
	// Timeout bounds one delivery attempt. Default 10s.
	Timeout time.Duration
	// MaxRetries is how many retries a delivery gets after its first
	// attempt (0-100). Default 8; negative means none.
	MaxRetries int
	// RetryBaseDelay is the backoff before the first retry, doubled for
	// each next one, with jitter. A Retry-After header of the receiver
	// lengthens it. Default 10s.
	RetryBaseDelay time.Duration
	// RetryMaxDelay caps the backoff and any Retry-After. Default 30m.
	RetryMaxDelay time.Duration
	// Queue is the queue delivery tasks go to; a worker serving it must
	// have Register called. Default taskq.DefaultQueue.
	Queue string
	// Buffer is how many breaker events may wait for Start's job; more
	// are dropped with a warning. Default 256.
	Buffer int
	// HTTPClient sends deliveries. Default: a client with Timeout that
	// does not follow redirects (a 3xx answer fails the delivery for
	// good). A client given here should not follow them either.
	HTTPClient *http.Client
	// Logger receives logs; the secret and full URLs never reach it. Nil:
	// discarded.
	Logger *slog.Logger
	// Now returns the current time (tests). Nil: time.Now.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.DLQSizeRearm == 0 {
		c.DLQSizeRearm = c.DLQSizeThreshold * 9 / 10
	}
	if c.CheckInterval <= 0 {
		c.CheckInterval = DefaultCheckInterval
	}
	if c.DeadLetterRate == 0 {
		c.DeadLetterRate = DefaultDeadLetterRate
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	switch {
	case c.MaxRetries == 0:
		c.MaxRetries = DefaultMaxRetries
	case c.MaxRetries < 0:
		c.MaxRetries = 0
	}
	if c.RetryBaseDelay <= 0 {
		c.RetryBaseDelay = DefaultRetryBaseDelay
	}
	if c.RetryMaxDelay <= 0 {
		c.RetryMaxDelay = DefaultRetryMaxDelay
	}
	if c.Queue == "" {
		c.Queue = taskq.DefaultQueue
	}
	if c.Buffer <= 0 {
		c.Buffer = DefaultBuffer
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{
			Timeout: c.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// validate checks a config whose defaults are filled; it reports every
// problem and never includes the secret or a whole URL.
func (c Config) validate() error {
	var errs []error
	for i, raw := range c.URLs {
		if err := checkURL(raw); err != nil {
			errs = append(errs, fmt.Errorf("URLs[%d]: %w", i, err))
		}
	}
	if len(c.URLs) > 0 && len(c.Secret) < MinSecretLength {
		errs = append(errs, fmt.Errorf("secret must be at least %d bytes when URLs are set", MinSecretLength))
	}
	for _, k := range c.Kinds {
		if !k.valid() {
			errs = append(errs, fmt.Errorf("invalid kind %q", string(k)))
		}
	}
	if c.DLQSizeThreshold < 0 {
		errs = append(errs, fmt.Errorf("negative DLQSizeThreshold %d", c.DLQSizeThreshold))
	}
	if c.DLQSizeThreshold > 0 && (c.DLQSizeRearm < 0 || c.DLQSizeRearm >= c.DLQSizeThreshold) {
		errs = append(errs, fmt.Errorf("field DLQSizeRearm %d is outside [0, DLQSizeThreshold=%d)", c.DLQSizeRearm, c.DLQSizeThreshold))
	}
	if c.MaxRetries > taskq.MaxRetriesLimit {
		errs = append(errs, fmt.Errorf("field MaxRetries %d is over %d", c.MaxRetries, taskq.MaxRetriesLimit))
	}
	if !names.Valid(c.Queue, taskq.MaxQueueNameLength) {
		errs = append(errs, fmt.Errorf("invalid queue name %q", c.Queue))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("alert: invalid config: %w", err)
	}
	return nil
}

// checkURL accepts absolute http and https URLs with a host and no user
// info. Its errors name the problem, not the URL.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a valid URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("scheme must be http or https")
	case u.Host == "" || u.Hostname() == "":
		return errors.New("missing host")
	case u.User != nil:
		return errors.New("user info is not allowed")
	}
	return nil
}
