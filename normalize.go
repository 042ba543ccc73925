package taskq

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// maxFastDepth bounds the nesting normalizeFast follows; deeper values (and
// cycles) take the encode-and-decode path, which reports them.
const maxFastDepth = 64

// normalizeFast returns the normal form of m (see DecodeMetadata) as a
// new map, without encoding it, when every value is one whose encoding and
// decoding are known: nil, booleans, strings and keys of valid UTF-8,
// json.Numbers already in plain notation, Go integers (which become
// json.Numbers of their decimal digits), and maps and slices of those. It
// reports false for anything else (floats, structs, other map and slice
// types, invalid UTF-8, numbers with exponents), for which the caller
// encodes and decodes. The result is what json.Marshal followed by
// DecodeMetadata gives, without its cost.
func normalizeFast(m map[string]any) (map[string]any, bool) {
	v, ok := normalValue(m, 0)
	if !ok {
		return nil, false
	}
	out, _ := v.(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	return out, true
}

func normalValue(v any, depth int) (any, bool) {
	switch v := v.(type) {
	case nil:
		return nil, true
	case bool:
		return v, true
	case string:
		return v, utf8.ValidString(v)
	case json.Number:
		return v, plainJSONNumber(string(v))
	case int:
		return json.Number(strconv.FormatInt(int64(v), 10)), true
	case int64:
		return json.Number(strconv.FormatInt(v, 10)), true
	case int32:
		return json.Number(strconv.FormatInt(int64(v), 10)), true
	case int16:
		return json.Number(strconv.FormatInt(int64(v), 10)), true
	case int8:
		return json.Number(strconv.FormatInt(int64(v), 10)), true
	case uint:
		return json.Number(strconv.FormatUint(uint64(v), 10)), true
	case uint64:
		return json.Number(strconv.FormatUint(v, 10)), true
	case uint32:
		return json.Number(strconv.FormatUint(uint64(v), 10)), true
	case uint16:
		return json.Number(strconv.FormatUint(uint64(v), 10)), true
	case map[string]any:
		if v == nil {
			return nil, true // encodes as null
		}
		if depth >= maxFastDepth {
			return nil, false
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			if !utf8.ValidString(k) {
				return nil, false
			}
			n, ok := normalValue(e, depth+1)
			if !ok {
				return nil, false
			}
			out[k] = n
		}
		return out, true
	case []any:
		if v == nil {
			return nil, true
		}
		if depth >= maxFastDepth {
			return nil, false
		}
		out := make([]any, len(v))
		for i, e := range v {
			n, ok := normalValue(e, depth+1)
			if !ok {
				return nil, false
			}
			out[i] = n
		}
		return out, true
	}
	return nil, false
}

// plainJSONNumber reports whether s is a JSON number in the notation
// plainNumber produces: an optional minus (not on a zero), digits without
// a leading zero, an optional fraction, no exponent.
func plainJSONNumber(s string) bool {
	i, neg := 0, false
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	start := i
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	if i != len(s) {
		return false
	}
	if neg {
		// plainNumber drops the sign of a zero.
		for _, c := range s[start:] {
			if c != '0' && c != '.' {
				return true
			}
		}
		return false
	}
	return true
}
