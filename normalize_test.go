package taskq

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// slowNormal is the reference: encode, then decode as storages do.
func slowNormal(t *testing.T, m map[string]any) (map[string]any, bool) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, false
	}
	n, err := DecodeMetadata(b)
	require.NoError(t, err)
	return n, true
}

func TestNormalizeFastMatchesEncodeDecode(t *testing.T) {
	cases := []map[string]any{
		nil,
		{},
		{"a": 1, "b": int64(-9007199254740993), "c": uint64(math.MaxUint64), "d": int8(-3), "e": uint16(7)},
		{"s": "héllo <&> \u2028", "t": true, "f": false, "n": nil},
		{"num": json.Number("12.50"), "neg": json.Number("-3"), "zero": json.Number("0"), "big": json.Number("123456789012345678901234567890")},
		{"m": map[string]any{"x": []any{1, "two", map[string]any{"y": nil}}}, "empty": []any{}, "nilmap": map[string]any(nil), "nilslice": []any(nil)},
	}
	for _, m := range cases {
		fast, ok := normalizeFast(m)
		require.True(t, ok, "%v", m)
		want, _ := slowNormal(t, m)
		require.Equal(t, want, fast, "%v", m)
	}

	// Values the fast path leaves to encoding and decoding.
	for _, m := range []map[string]any{
		{"f": 1.5},
		{"f": float32(2)},
		{"exp": json.Number("1e5")},
		{"negzero": json.Number("-0")},
		{"lead": json.Number("01")},
		{"bad": json.Number("abc")},
		{"utf": "\xff"},
		{"\xfe": 1},
		{"struct": struct{ A int }{1}},
		{"strs": []string{"a"}},
		{"deep": deep(maxFastDepth + 1)},
	} {
		_, ok := normalizeFast(m)
		require.False(t, ok, "%#v", m)
	}
}

func deep(n int) any {
	var v any = "leaf"
	for range n {
		v = []any{v}
	}
	return v
}

// TestNormalizeFastRandom compares the two paths on random values built
// from the types the fast path takes.
func TestNormalizeFastRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var gen func(depth int) any
	gen = func(depth int) any {
		switch k := r.IntN(10); {
		case k == 0 && depth < 4:
			m := map[string]any{}
			for i := range r.IntN(4) {
				m[strings.Repeat("k", i+1)] = gen(depth + 1)
			}
			return m
		case k == 1 && depth < 4:
			s := make([]any, r.IntN(4))
			for i := range s {
				s[i] = gen(depth + 1)
			}
			return s
		case k == 2:
			return r.Int64() - r.Int64()
		case k == 3:
			return r.Uint64()
		case k == 4:
			return json.Number(strings.TrimRight(strings.TrimRight(json.Number(json.Number("0")).String(), "."), ""))
		case k == 5:
			return string(rune(r.IntN(0x10FFFF)))
		case k == 6:
			return r.IntN(2) == 0
		case k == 7:
			return nil
		case k == 8:
			return json.Number("-" + strings.Repeat("9", 1+r.IntN(30)) + "." + strings.Repeat("1", 1+r.IntN(5)))
		}
		return "x"
	}
	for range 2000 {
		m := map[string]any{"v": gen(0), "w": gen(0)}
		fast, ok := normalizeFast(m)
		want, encodable := slowNormal(t, m)
		if !ok {
			continue
		}
		require.True(t, encodable)
		require.Equal(t, want, fast, "%#v", m)
	}
}
