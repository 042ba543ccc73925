package taskq

import "encoding/json"

// decodeFlat decodes the common shape of metadata without encoding/json:
// one object whose keys and string values are printable ASCII without
// escapes and whose other values are numbers in plain notation
// (plainJSONNumber), true, false or null, with nothing but whitespace
// after it. It reports false for anything else (nested objects and arrays,
// escapes, other bytes, exponents, malformed input), which DecodeMetadata
// then decodes with encoding/json; where it reports true, the map is what
// that decoding gives (FuzzDecodeMetadata checks it).
func decodeFlat(b []byte) (map[string]any, bool) {
	// The keys and values are substrings of one copy of b: one
	// allocation for all of them.
	src := string(b)
	i := skipSpace(b, 0)
	if i == len(b) || b[i] != '{' {
		return nil, false
	}
	i = skipSpace(b, i+1)
	m := make(map[string]any, 8)
	if i < len(b) && b[i] == '}' {
		return m, skipSpace(b, i+1) == len(b)
	}
	for {
		key, next, ok := flatString(src, i)
		if !ok {
			return nil, false
		}
		i = skipSpace(b, next)
		if i == len(b) || b[i] != ':' {
			return nil, false
		}
		i = skipSpace(b, i+1)
		if i == len(b) {
			return nil, false
		}
		var v any
		switch c := b[i]; {
		case c == '"':
			s, next, ok := flatString(src, i)
			if !ok {
				return nil, false
			}
			v, i = s, next
		case c == '-' || (c >= '0' && c <= '9'):
			j := i
			for j < len(b) && (b[j] == '-' || b[j] == '+' || b[j] == '.' || b[j] == 'e' || b[j] == 'E' || (b[j] >= '0' && b[j] <= '9')) {
				j++
			}
			n := src[i:j]
			if !plainJSONNumber(n) {
				return nil, false
			}
			v, i = json.Number(n), j
		case hasLiteral(b, i, "true"):
			v, i = true, i+4
		case hasLiteral(b, i, "false"):
			v, i = false, i+5
		case hasLiteral(b, i, "null"):
			v, i = nil, i+4
		default:
			return nil, false
		}
		m[key] = v
		i = skipSpace(b, i)
		if i == len(b) {
			return nil, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return m, skipSpace(b, i+1) == len(b)
		default:
			return nil, false
		}
	}
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// flatString reads the string starting at b[i] (a quote) when it holds
// printable ASCII only, without escapes, and returns it (a substring of b)
// and the index after its closing quote.
func flatString(b string, i int) (string, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return "", 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20 || c >= 0x7f:
			return "", 0, false
		}
	}
	return "", 0, false
}

// hasLiteral reports whether b holds lit at i, not followed by a byte
// that would continue it.
func hasLiteral(b []byte, i int, lit string) bool {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return false
	}
	if j := i + len(lit); j < len(b) {
		c := b[j]
		return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '}'
	}
	return true
}
