.PHONY: test bench lint run reliability

# Installs redis-server/prometheus when missing, then go test -race ./...
test:
	./scripts/test.sh

bench:
	go test -run '^$$' -bench . -benchmem ./...

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
