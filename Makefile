.PHONY: test bench lint run

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
