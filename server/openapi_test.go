package server

import (
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOpenAPIDocumentValid: the embedded document is a valid OpenAPI 3.1
// document.
func TestOpenAPIDocumentValid(t *testing.T) {
	t.Parallel()
	spec, err := apiSpec()
	require.NoError(t, err)
	require.Equal(t, "3.1.0", spec.doc.OpenAPI)
	require.NoError(t, spec.doc.Validate(context.Background()))
}

// TestOpenAPICoversEveryRoute: every route pattern of the server is an
// operation of the document, and every operation is a route.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	t.Parallel()
	spec, err := apiSpec()
	require.NoError(t, err)
	routes := map[string]bool{}
	for _, p := range routePatterns() {
		routes[p] = true
		method, path, ok := strings.Cut(p, " ")
		require.True(t, ok, p)
		item := spec.doc.Paths.Value(path)
		require.NotNil(t, item, "route %s is not in the document", p)
		op := item.GetOperation(method)
		require.NotNil(t, op, "route %s is not in the document", p)
		require.NotEmpty(t, op.OperationID, p)
		require.True(t, op.Responses.Status(200) != nil || op.Responses.Status(201) != nil || op.Responses.Status(204) != nil,
			"%s documents its success", p)
	}
	for path, item := range spec.doc.Paths.Map() {
		for method := range item.Operations() {
			require.True(t, routes[method+" "+path], "the document has %s %s, the server does not", method, path)
		}
	}
}

// TestOpenAPICoversRoutesSource reads routes.go itself: every pattern
// registered with s.route is an operation of the document (so a route
// added without its documentation fails here).
func TestOpenAPICoversRoutesSource(t *testing.T) {
	t.Parallel()
	f, err := parser.ParseFile(gotoken.NewFileSet(), "routes.go", nil, 0)
	require.NoError(t, err)
	consts := map[string]string{}
	var registered []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ValueSpec:
			for i, name := range n.Names {
				if i < len(n.Values) {
					if lit, ok := n.Values[i].(*ast.BasicLit); ok && lit.Kind == gotoken.STRING {
						v, err := strconv.Unquote(lit.Value)
						require.NoError(t, err)
						consts[name.Name] = v
					}
				}
			}
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "route" && len(n.Args) > 0 {
				id, ok := n.Args[0].(*ast.Ident)
				require.True(t, ok, "s.route's pattern is a constant of routes.go")
				registered = append(registered, id.Name)
			}
		}
		return true
	})
	require.Len(t, registered, len(routePatterns()), "every registered route is in routePatterns")
	spec, err := apiSpec()
	require.NoError(t, err)
	for _, name := range registered {
		p, ok := consts[name]
		require.True(t, ok, "%s is a string constant of routes.go", name)
		method, path, _ := strings.Cut(p, " ")
		item := spec.doc.Paths.Value(path)
		require.NotNil(t, item, "route %s is not in the document", p)
		require.NotNil(t, item.GetOperation(method), "route %s is not in the document", p)
	}
}

// TestOpenAPIServed: GET /api/openapi.json is public, carries the
// security and rate-limit headers, is cacheable with an ETag, and answers
// 304 to a matching If-None-Match.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{}, Deps{}, false)
	w := b.do(req{method: "GET", path: "/api/openapi.json"})
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
	require.Equal(t, "public, max-age=3600", w.Header().Get("Cache-Control"))
	require.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
	require.NotEmpty(t, w.Header().Get("RateLimit-Limit"))
	etag := w.Header().Get("ETag")
	require.NotEmpty(t, etag)
	require.JSONEq(t, string(openAPIDocument), w.Body.String())
	var doc map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
	require.Equal(t, "3.1.0", doc["openapi"])

	w = b.do(req{method: "GET", path: "/api/openapi.json", header: map[string]string{"If-None-Match": etag}})
	require.Equal(t, http.StatusNotModified, w.Code)
	require.Empty(t, w.Body.String())
	require.Equal(t, etag, w.Header().Get("ETag"))
	w = b.do(req{method: "GET", path: "/api/openapi.json", header: map[string]string{"If-None-Match": `"other"`}})
	require.Equal(t, http.StatusOK, w.Code)
}

// TestOpenAPICheckCatchesDrift: the exchange check of the test helper
// fails on a response the document does not describe, and on a request
// the document forbids that the server would have accepted.
func TestOpenAPICheckCatchesDrift(t *testing.T) {
	t.Parallel()
	secure := func(w *httptest.ResponseRecorder, status int, body string) *httptest.ResponseRecorder {
		h := w.Header()
		h.Set("X-Request-ID", "abc")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("RateLimit-Limit", "10")
		h.Set("RateLimit-Remaining", "9")
		h.Set("RateLimit-Reset", "1")
		h.Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.WriteString(body)
		return w
	}
	get := func() *http.Request {
		r := httptest.NewRequest("GET", "/api/keys", nil)
		r.Header.Set("X-API-Key", "k")
		return r
	}
	good := `{"keys":[{"id":"a","name":"n","role":"user","created":"2030-01-01T00:00:00Z","expires_at":null,"last_used":null}]}`
	require.NoError(t, checkExchange(get(), secure(httptest.NewRecorder(), 200, good)))

	extra := strings.Replace(good, `"name":"n"`, `"name":"n","secret":"x"`, 1)
	require.Error(t, checkExchange(get(), secure(httptest.NewRecorder(), 200, extra)), "an undocumented field")
	require.Error(t, checkExchange(get(), secure(httptest.NewRecorder(), 200, `{"keys":[{"id":"a"}]}`)), "missing fields")
	require.Error(t, checkExchange(get(), secure(httptest.NewRecorder(), 418, `{}`)), "an undocumented status")
	w := secure(httptest.NewRecorder(), 200, good)
	w.Header().Del("X-Frame-Options")
	require.Error(t, checkExchange(get(), w), "a missing security header")

	noCreds := httptest.NewRequest("GET", "/api/keys", nil)
	require.Error(t, checkExchange(noCreds, secure(httptest.NewRecorder(), 200, good)), "accepted without credentials")
	bad := httptest.NewRequest("POST", "/api/keys", strings.NewReader(`{"name":"n","role":"root"}`))
	bad.Header.Set("X-API-Key", "k")
	bad.Header.Set("Content-Type", "application/json")
	require.Error(t, checkExchange(bad, secure(httptest.NewRecorder(), 201, `{}`)), "a forbidden body accepted")
}
