package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// apiSpec is the embedded OpenAPI document, loaded once, and its router.
var apiSpec = sync.OnceValues(func() (*apiSpecT, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPIDocument)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	return &apiSpecT{doc: doc, router: router}, nil
})

type apiSpecT struct {
	doc    *openapi3.T
	router routers.Router
}

// credentialsPresent is the AuthenticationFunc of the validation: a
// request satisfies a scheme when it carries that scheme's header (the
// server decides whether the credential is good).
func credentialsPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header
	switch in.SecuritySchemeName {
	case "apiKey":
		if h.Get("X-API-Key") != "" {
			return nil
		}
	case "bearer":
		if strings.HasPrefix(h.Get("Authorization"), "Bearer ") {
			return nil
		}
	default:
		return fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName)
	}
	return errors.New("credentials absent")
}

// serveChecked serves hr and checks the exchange against the OpenAPI
// document: a request the document forbids must be refused (4xx), and
// every response must be one the document describes for its operation
// (status, headers, body schema). A request for a path or method the
// document does not have must be answered 404 or 405 with the error shape.
func serveChecked(t *testing.T, s *Server, hr *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	var reqBody []byte
	if hr.Body != nil {
		var err error
		reqBody, err = io.ReadAll(hr.Body)
		if err != nil {
			t.Fatalf("read request body: %v", err)
		}
		hr.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	// The validation sees its own copy of the request, taken before the
	// server reads it.
	vr := hr.Clone(context.Background())
	vr.Body = io.NopCloser(bytes.NewReader(reqBody))
	if vr.Header.Get("Content-Type") == "" && len(reqBody) > 0 {
		vr.Header.Set("Content-Type", "application/json") // the server reads every body as JSON
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, hr)
	if err := checkExchange(vr, w); err != nil {
		t.Errorf("OpenAPI: %s %s → %d: %v\nresponse body: %s", hr.Method, hr.URL.RequestURI(), w.Code, err, clip(w.Body.String(), 2000))
	}
	return w
}

// checkExchange checks one request and its recorded response.
func checkExchange(vr *http.Request, w *httptest.ResponseRecorder) error {
	spec, err := apiSpec()
	if err != nil {
		return err
	}
	route, params, err := spec.router.FindRoute(vr)
	if err == nil && !canonicalPath(vr.URL.Path) {
		// The server never routes a path with empty, "." or ".."
		// segments (a JSON 404); the document's templates would match one.
		err = fmt.Errorf("non-canonical path")
	}
	if err != nil {
		// Refused before or instead of routing: not found, wrong method,
		// or a limit or block that applies to every path.
		switch w.Code {
		case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusBadRequest,
			http.StatusForbidden, http.StatusTooManyRequests, http.StatusRequestEntityTooLarge,
			http.StatusUnsupportedMediaType:
		default:
			return fmt.Errorf("not in the document (%v) but answered %d", err, w.Code)
		}
		var body any
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			return fmt.Errorf("error body: %w", err)
		}
		return spec.doc.Components.Schemas["Error"].Value.VisitJSON(body, openapi3.EnableJSONSchema2020())
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc:    credentialsPresent,
		IncludeResponseStatus: true,
		MultiError:            true,
	}
	in := &openapi3filter.RequestValidationInput{Request: vr, PathParams: params, Route: route, Options: opts}
	reqErr := openapi3filter.ValidateRequest(context.Background(), in)
	if reqErr != nil && (w.Code < 400 || w.Code >= 500) {
		return fmt.Errorf("the document forbids this request (%v) but the server answered %d", reqErr, w.Code)
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 w.Code,
		Header:                 w.Header(),
		Options:                opts,
	}
	out.SetBodyBytes(w.Body.Bytes())
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return fmt.Errorf("response: %w", err)
	}
	return nil
}
