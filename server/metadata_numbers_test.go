package server

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCreateTaskKeepsMetadataNumbers: numbers in the metadata of POST
// /api/tasks are stored as written, an integer beyond 2^53 included (a
// float64 would round it), and read back the same on every backend.
func TestCreateTaskKeepsMetadataNumbers(t *testing.T) {
	t.Parallel()
	for _, be := range backends(t) {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, Config{}, be.deps(t), false)
			body := `{"type":"noop","metadata":{"big":9007199254740993,"neg":-4611686018427387905,"half":1.5,"exp":1e3}}`
			w := b.admin(req{method: "POST", path: "/api/tasks", body: body})
			require.Equal(t, http.StatusCreated, w.Code, "body: %s", w.Body.String())
			want := map[string]json.RawMessage{"big": json.RawMessage("9007199254740993"),
				"neg": json.RawMessage("-4611686018427387905"), "half": json.RawMessage("1.5"), "exp": json.RawMessage("1000")}
			var created struct {
				ID       string                     `json:"id"`
				Metadata map[string]json.RawMessage `json:"metadata"`
			}
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &created))
			require.Equal(t, want, created.Metadata, "the POST answer")
			g := b.admin(req{method: "GET", path: "/api/tasks/" + created.ID})
			require.Equal(t, http.StatusOK, g.Code, "body: %s", g.Body.String())
			var got struct {
				Metadata map[string]json.RawMessage `json:"metadata"`
			}
			require.NoError(t, json.Unmarshal(g.Body.Bytes(), &got))
			require.Equal(t, want, got.Metadata, "the stored record")
		})
	}
}
