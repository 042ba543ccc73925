package ui

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAssetsSelfContained: the console loads nothing from elsewhere, has
// no inline script, style or event handler (the CSP would block them) and
// never touches persistent browser storage.
func TestAssetsSelfContained(t *testing.T) {
	t.Parallel()
	files := load()
	require.Contains(t, files, "index.html")
	require.Contains(t, files, "app.js")
	external := regexp.MustCompile(`(?i)(src|href|action)\s*=\s*["']?\s*(https?:)?//|url\(\s*["']?(https?:)?//|@import|from\s+["']https?:|import\(\s*["']https?:|fetch\(\s*["']https?:`)
	inline := regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|<style|\sstyle\s*=|\son[a-z]+\s*=|javascript:`)
	storage := regexp.MustCompile(`localStorage|sessionStorage|document\.cookie|indexedDB|innerHTML|outerHTML|insertAdjacentHTML|eval\(|new Function`)
	for name, a := range files {
		body := string(a.body)
		require.False(t, external.MatchString(body), "%s references another origin: %q", name, external.FindString(body))
		if strings.HasSuffix(name, ".html") {
			require.False(t, inline.MatchString(body), "%s has inline code or style: %q", name, inline.FindString(body))
			for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
				require.Contains(t, tag, `src="`, "every script is a file")
			}
		}
		if strings.HasSuffix(name, ".js") {
			require.False(t, storage.MatchString(body), "%s uses %q", name, storage.FindString(body))
		}
	}
}

// TestHandler: files by path with their types, index.html at the prefix,
// the CSP on every answer, 304 on a matching ETag, HEAD without body,
// unknown paths to notFound.
func TestHandler(t *testing.T) {
	t.Parallel()
	notFound := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := Handler(notFound)
	get := func(method, path string, hdr ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		require.Equal(t, ContentSecurityPolicy, w.Header().Get("Content-Security-Policy"), path)
		return w
	}
	for path, ct := range map[string]string{
		"/ui/": "text/html; charset=utf-8", "/ui/index.html": "text/html; charset=utf-8",
		"/ui/app.css": "text/css; charset=utf-8", "/ui/api.js": "text/javascript; charset=utf-8",
		"/ui/favicon.svg": "image/svg+xml",
	} {
		w := get("GET", path)
		require.Equal(t, http.StatusOK, w.Code, path)
		require.Equal(t, ct, w.Header().Get("Content-Type"), path)
		require.Equal(t, "no-cache", w.Header().Get("Cache-Control"))
		require.NotEmpty(t, w.Body.Bytes())
		require.Equal(t, http.StatusNotModified, get("GET", path, "If-None-Match", w.Header().Get("ETag")).Code)
	}
	head := get("HEAD", "/ui/app.js")
	require.Equal(t, http.StatusOK, head.Code)
	require.Empty(t, head.Body.Bytes())
	require.NotEmpty(t, head.Header().Get("Content-Length"))
	for _, path := range []string{"/ui/nope.js", "/ui/assets/app.js", "/other", "/ui/../go.mod"} {
		require.Equal(t, http.StatusTeapot, get("GET", path).Code, path)
	}
	require.Equal(t, http.StatusTeapot, get("POST", "/ui/").Code)
}

// TestSize: the total of the embedded files, as docs/console.md reports it.
func TestSize(t *testing.T) {
	t.Parallel()
	n := Size()
	require.Greater(t, n, 10_000)
	require.Less(t, n, 100_000, "the console stays small")
	t.Logf("console assets: %d bytes", n)
}
