package taskq

import (
	"encoding/json"
	"reflect"
	"testing"
)

// metadataSeeds are inputs of both shapes: those decodeFlat takes and
// those it leaves to encoding/json.
var metadataSeeds = []string{
	`{}`, ` { } `, `{"a":1}`, `{"user_id":12345678,"email":"someone@example.com","action":"welcome","locale":"en-US","n":1}`,
	`{"a":"x","a":"y"}`, `{"t":true,"f":false,"n":null}`, `{"n":-12.50}`, `{"n":0}`, `{"n":-0}`, `{"n":-0.0}`,
	`{"n":1e3}`, `{"n":1E-7}`, `{"n":01}`, `{"n":1.}`, `{"n":.5}`, `{"n":-}`, `{"n":1-2}`, `{"n":+1}`,
	`{"n":9007199254740993}`, `{"s":"caf\u00e9"}`, `{"s":"café"}`, `{"s":"a\"b"}`, `{"s":"tab	"}`,
	`{"o":{"a":1}}`, `{"l":[1,2]}`, `null`, ` null `, `[]`, `1`, `"x"`, ``, ` `, `{`, `{"a"`, `{"a":`,
	`{"a":1`, `{"a":1,}`, `{"a":1}}`, `{"a":1} x`, `{"a":1}{}`, `{"a":1} `, "{\"a\":1}\n", `{"a" : 1 , "b" : "c"}`,
	`{"a":tru}`, `{"a":truex}`, `{"a":nul}`, `{"a":falsey}`, `{"a":true}`, `{"":""}`, `{"a":"\u0000"}`,
	"{\"a\":\"\x7f\"}", "{\"a\":\"\xff\"}", `{"a":1 2}`, `{"a":"1"2}`, `{1:2}`, `{"a":1,"b":}`,
}

// FuzzDecodeMetadata: wherever decodeFlat decodes an input, encoding/json
// decodes it to the same map; wherever encoding/json fails, decodeFlat does
// not decode.
func FuzzDecodeMetadata(f *testing.F) {
	for _, s := range metadataSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		flat, ok := decodeFlat(b)
		want, err := decodeMetadataJSON(b)
		if !ok {
			return
		}
		if err != nil {
			t.Fatalf("decodeFlat(%q) = %v, encoding/json: %v", b, flat, err)
		}
		if !reflect.DeepEqual(flat, want) {
			t.Fatalf("decodeFlat(%q) = %#v, encoding/json %#v", b, flat, want)
		}
	})
}

// TestDecodeFlatTakesTheCommonShape: the fast path decodes flat objects of
// ASCII strings, plain numbers and literals, and leaves the rest to
// encoding/json.
func TestDecodeFlatTakesTheCommonShape(t *testing.T) {
	t.Parallel()
	for _, s := range []string{`{}`, ` { } `, `{"a":1}`, `{"a":"x","a":"y"}`, `{"t":true,"f":false,"n":null}`,
		`{"n":-12.50}`, `{"a" : 1 , "b" : "c"}`, "{\"a\":1}\n"} {
		if _, ok := decodeFlat([]byte(s)); !ok {
			t.Errorf("decodeFlat(%s) left it to encoding/json", s)
		}
	}
	m, ok := decodeFlat([]byte(`{"a":"x","a":"y","n":-12.50,"z":null}`))
	if !ok || !reflect.DeepEqual(m, map[string]any{"a": "y", "n": json.Number("-12.50"), "z": nil}) {
		t.Errorf("decodeFlat = %#v, %v", m, ok)
	}
	for _, s := range []string{`{"n":-0}`, `{"n":1e3}`, `{"s":"café"}`, `{"s":"a\"b"}`, `{"o":{"a":1}}`,
		`{"l":[1]}`, `null`, `{"a":1}}`, `{"a":1,}`, `{"a":truex}`, `{"n":01}`} {
		if _, ok := decodeFlat([]byte(s)); ok {
			t.Errorf("decodeFlat(%s) decoded it", s)
		}
	}
}

// BenchmarkDecodeMetadata decodes the load generator's 100-byte metadata,
// with the fast path (DecodeMetadata) and with encoding/json alone.
func BenchmarkDecodeMetadata(b *testing.B) {
	in := []byte(`{"user_id":12345678,"email":"someone@example.com","action":"welcome","locale":"en-US","n":1}`)
	for _, c := range []struct {
		name   string
		decode func([]byte) (map[string]any, error)
	}{{"DecodeMetadata", DecodeMetadata}, {"encoding-json", decodeMetadataJSON}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.decode(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
