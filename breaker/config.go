package breaker

import (
	"errors"
	"fmt"
	"time"
)

// Default values of Config, chosen for a typical HTTP dependency.
const (
	DefaultFailureThreshold = 5
	DefaultMinExecutions    = 10
	DefaultWindow           = 30 * time.Second
	DefaultDelay            = 30 * time.Second
	DefaultHalfOpenTrials   = 1
)

// Config configures one breaker. Its zero value works: every zero field
// takes its default.
//
// A breaker counts failures in one of two modes. By count (the default) it
// opens after FailureThreshold consecutive failures. By ratio (FailureRatio
// set) it opens when, over the last Window, at least MinExecutions calls
// were made and the share of failures among them reached FailureRatio.
type Config struct {
	// FailureThreshold is the number of consecutive failures that open a
	// closed breaker. Default 5. Ignored when FailureRatio is set.
	FailureThreshold int
	// FailureRatio, when positive, selects the ratio mode: the breaker
	// opens once failures/executions over Window reaches it (0 < r <= 1).
	// Default 0: count mode.
	FailureRatio float64
	// MinExecutions is how many calls Window must hold before FailureRatio
	// is considered. Default 10. Ratio mode only.
	MinExecutions int
	// Window is the sliding time window of the ratio mode. Default 30s.
	Window time.Duration
	// Delay is how long the breaker stays open before it may half-open.
	// Default 30s.
	Delay time.Duration
	// Jitter varies each open delay randomly by up to this fraction of
	// Delay, either way (0 <= j < 1), so that breakers that opened together
	// do not probe together. Default 0: no jitter.
	Jitter float64
	// HalfOpenTrials is how many trial calls a half-open breaker lets
	// through at a time. Default 1.
	HalfOpenTrials int
	// SuccessThreshold is how many of the last HalfOpenTrials trial calls
	// must succeed to close a half-open breaker; once that can no longer
	// happen it reopens. Default HalfOpenTrials (every trial must succeed).
	SuccessThreshold int
	// IsFailure tells which errors count as failures of the dependency.
	// Errors it rejects, and nil, count as successes. Default
	// DefaultIsFailure; see FailOnStatus for other HTTP statuses.
	IsFailure func(error) bool
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	return c.inherit(Config{})
}

// inherit returns c with zero fields taken from base, then from the
// package defaults.
func (c Config) inherit(base Config) Config {
	pick := func(v, b, d int) int {
		switch {
		case v != 0:
			return v
		case b != 0:
			return b
		}
		return d
	}
	pickDur := func(v, b, d time.Duration) time.Duration {
		switch {
		case v != 0:
			return v
		case b != 0:
			return b
		}
		return d
	}
	c.FailureThreshold = pick(c.FailureThreshold, base.FailureThreshold, DefaultFailureThreshold)
	c.MinExecutions = pick(c.MinExecutions, base.MinExecutions, DefaultMinExecutions)
	c.HalfOpenTrials = pick(c.HalfOpenTrials, base.HalfOpenTrials, DefaultHalfOpenTrials)
	c.SuccessThreshold = pick(c.SuccessThreshold, base.SuccessThreshold, c.HalfOpenTrials)
	c.Window = pickDur(c.Window, base.Window, DefaultWindow)
	c.Delay = pickDur(c.Delay, base.Delay, DefaultDelay)
	if c.FailureRatio == 0 {
		c.FailureRatio = base.FailureRatio
	}
	if c.Jitter == 0 {
		c.Jitter = base.Jitter
	}
	if c.IsFailure == nil {
		c.IsFailure = base.IsFailure
	}
	if c.IsFailure == nil {
		c.IsFailure = DefaultIsFailure
	}
	return c
}

// Validate reports every invalid field of c after defaults.
func (c Config) Validate() error {
	if err := c.WithDefaults().validate(); err != nil {
		return fmt.Errorf("breaker: %w", err)
	}
	return nil
}

// validate checks a config whose defaults are filled.
func (c Config) validate() error {
	var errs []error
	if c.FailureThreshold < 0 {
		errs = append(errs, fmt.Errorf("negative FailureThreshold %d", c.FailureThreshold))
	}
	if c.FailureRatio < 0 || c.FailureRatio > 1 {
		errs = append(errs, fmt.Errorf("field FailureRatio %v is outside [0, 1]", c.FailureRatio))
	}
	if c.MinExecutions < 0 {
		errs = append(errs, fmt.Errorf("negative MinExecutions %d", c.MinExecutions))
	}
	if c.Window < 0 {
		errs = append(errs, fmt.Errorf("negative Window %v", c.Window))
	}
	if c.Delay < 0 {
		errs = append(errs, fmt.Errorf("negative Delay %v", c.Delay))
	}
	if c.Jitter < 0 || c.Jitter >= 1 {
		errs = append(errs, fmt.Errorf("field Jitter %v is outside [0, 1)", c.Jitter))
	}
	if c.HalfOpenTrials < 0 {
		errs = append(errs, fmt.Errorf("negative HalfOpenTrials %d", c.HalfOpenTrials))
	}
	if c.SuccessThreshold < 0 || c.SuccessThreshold > c.HalfOpenTrials {
		errs = append(errs, fmt.Errorf("field SuccessThreshold %d is outside [1, HalfOpenTrials=%d]", c.SuccessThreshold, c.HalfOpenTrials))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid config: %w", err)
	}
	return nil
}

// halfOpenWait is the retry hint while every half-open trial is in flight:
// a tenth of the open delay, at least a millisecond.
func (c Config) halfOpenWait() time.Duration {
	return max(c.Delay/10, time.Millisecond)
}
