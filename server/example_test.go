package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/taskq/taskq/server"
)

// ExampleNew serves the API on the in-memory backends through
// httptest: create a task with the bootstrap admin key, then read it back.
func ExampleNew() {
	s, err := server.New(server.Config{AdminKey: "example-admin-key-123"}, server.Deps{})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		panic(err)
	}
	defer func() { _ = s.Stop(ctx) }()

	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	req, _ := http.NewRequest("POST", ts.URL+"/api/tasks", strings.NewReader(`{"type":"noop","priority":"high"}`))
	req.Header.Set("X-API-Key", "example-admin-key-123")
	req.Header.Set("Content-Type", "application/json")
	resp, err := ts.Client().Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, strings.HasPrefix(resp.Header.Get("Location"), "/api/tasks/"))

	resp, err = ts.Client().Get(ts.URL + "/api/tasks")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	// Output:
	// 201 true
	// 401 Bearer
}
