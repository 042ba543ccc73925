package redisqueue_test

import (
	"testing"

	"go.uber.org/goleak"
)

// leakOptions are the goroutines goleak may find that are not leaks.
var leakOptions = []goleak.Option{
	// After a cluster topology refresh rueidis closes replaced
	// connections from a goroutine that first sleeps 5s; it ends on
	// its own.
	goleak.IgnoreAnyFunction("github.com/redis/rueidis.(*clusterClient)._refresh.func2"),
}

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, leakOptions...)
}
