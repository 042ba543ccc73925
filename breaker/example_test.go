package breaker_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/breaker"
)

func ExampleRegistry_Do() {
	reg := breaker.NewRegistry(breaker.RegistryConfig{
		Default: breaker.Config{FailureThreshold: 3, Delay: time.Minute},
		OnStateChange: func(name string, from, to breaker.State) {
			fmt.Printf("breaker %s: %s -> %s\n", name, from, to)
		},
	})
	ctx := context.Background()
	callPayments := func(ctx context.Context) error {
		return &breaker.HTTPStatusError{Code: 503} // the service is down
	}

	for range 3 {
		err := reg.Do(ctx, "payments", callPayments)
		fmt.Println("call:", err)
	}
	err := reg.Do(ctx, "payments", callPayments)
	var te *taskq.Error
	if errors.As(err, &te) {
		fmt.Println("rejected:", te.Code, "retryable:", te.Retryable, "retry after > 0:", te.RetryAfter > 0)
	}
	fmt.Println("is ErrOpen:", errors.Is(err, breaker.ErrOpen))
	fmt.Println("state:", reg.Get("payments").State(), int(reg.Get("payments").State()))
	fmt.Println("other breakers unaffected:", reg.Get("search").Allow())
	// Output:
	// call: http status 503
	// call: http status 503
	// breaker payments: closed -> open
	// call: http status 503
	// rejected: service_unavailable retryable: true retry after > 0: true
	// is ErrOpen: true
	// state: open 2
	// other breakers unaffected: true
}
