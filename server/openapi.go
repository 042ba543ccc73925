package server

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/taskq/taskq/auth"
)

// openAPIFS holds the OpenAPI 3.1 document of the API.
//
//go:embed openapi.json
var openAPIFS embed.FS

// openAPIDocument is the embedded document and its entity tag.
var openAPIDocument, openAPIETag = func() ([]byte, string) {
	b, err := openAPIFS.ReadFile("openapi.json")
	if err != nil {
		panic("server: embedded openapi.json: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return b, `"` + hex.EncodeToString(sum[:16]) + `"`
}()

// serveOpenAPI serves GET /api/openapi.json: public and cacheable, with
// an ETag that If-None-Match matches (304).
func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", openAPIETag)
	if etagMatches(r.Header.Get("If-None-Match"), openAPIETag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(openAPIDocument)
	}
	return nil
}

// etagMatches reports whether an If-None-Match header names tag (or *).
func etagMatches(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == tag || t == "*" {
			return true
		}
	}
	return false
}
