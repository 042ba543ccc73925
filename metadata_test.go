package taskq_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/taskq/taskq"
)

// Numbers come back in PostgreSQL's notation from every path: exponents
// expanded, no sign on zero, everything else digit for digit.
func TestDecodeMetadataPlainNumbers(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"1e-07": "0.0000001", "1.5E-07": "0.00000015", "1e+21": "1000000000000000000000", "0.5e1": "5",
		"1.25e2": "125", "-2.5e-1": "-0.25", "-0": "0", "-0.0": "0.0", "12": "12", "-3.25": "-3.25",
		"9007199254740993": "9007199254740993", "1.50": "1.50", "1e2000": "1e2000",
	} {
		m, err := taskq.DecodeMetadata([]byte(`{"n": ` + in + `, "deep": [{"n": ` + in + `}]}`))
		require.NoError(t, err, in)
		require.Equal(t, json.Number(want), m["n"], in)
		require.Equal(t, json.Number(want), m["deep"].([]any)[0].(map[string]any)["n"], in)
	}
	m, _, err := taskq.NormalizeMetadata(map[string]any{"tiny": 1e-7, "huge": 1e21, "big": int64(1<<53 + 1)})
	require.NoError(t, err)
	require.Equal(t, map[string]any{"tiny": json.Number("0.0000001"), "huge": json.Number("1000000000000000000000"),
		"big": json.Number("9007199254740993")}, m)
}

// Clone copies metadata through nested maps and slices.
func TestCloneCopiesMetadataDeeply(t *testing.T) {
	t.Parallel()
	orig := &taskq.Task{ID: "x", Metadata: map[string]any{
		"m": map[string]any{"k": "v", "l": []any{"a", map[string]any{"z": 1}}},
	}}
	c := orig.Clone()
	c.Metadata["m"].(map[string]any)["k"] = "changed"
	c.Metadata["m"].(map[string]any)["l"].([]any)[0] = "changed"
	c.Metadata["m"].(map[string]any)["l"].([]any)[1].(map[string]any)["z"] = 2
	require.Equal(t, map[string]any{"m": map[string]any{"k": "v", "l": []any{"a", map[string]any{"z": 1}}}}, orig.Metadata)
	require.Equal(t, map[string]any{}, (&taskq.Task{Metadata: map[string]any{}}).Clone().Metadata)
	require.Nil(t, (&taskq.Task{}).Clone().Metadata)
}
