.PHONY: test bench bench-peers lint run reliability stress

# Installs redis-server/prometheus when missing, then go test -race ./...
test:
	./scripts/test.sh

bench:
	go test -run '^$$' -bench . -benchmem ./...

# taskq, asynq and River side by side (module benchmarks/, never part of
# test or CI): starts its own redis-server and PostgreSQL on loopback.
#   make bench-peers BENCH_PEERS_FLAGS=-short       smoke run, under 2 minutes
#   make bench-peers BENCH_PEERS_FLAGS=-write-doc   also updates docs/performance.md
bench-peers:
	cd benchmarks && go run -mod=mod ./peers $(BENCH_PEERS_FLAGS)

lint:
	@test -z "$$(gofmt -l .)" || (gofmt -l . && exit 1)
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

run:
	go run ./server/cmd/taskq-server

# The full reliability suite (20,000 tasks per deployment, real processes
# killed and backends restarted); the short form runs in make test.
reliability:
	TASKQ_RELIABILITY=full go test -count=1 -timeout 60m -v -run . ./reliability/ 2>&1 | grep -v '^\s*{'

# The whole suite STRESS_RUNS times (default 5) with a busy loop on each
# core: every test must pass every time (scripts/stress.sh).
stress:
	./scripts/stress.sh $(STRESS_RUNS)
