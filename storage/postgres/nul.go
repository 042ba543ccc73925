package postgres

import "bytes"

// PostgreSQL's jsonb cannot hold U+0000: a JSON text with the escape
// \u0000 in a string is refused by the server. A task outcome (its result
// or error) is recorded anyway, with every U+0000 replaced by U+FFFD, so
// that a handler returning such a string completes (or fails) as it
// should instead of leaving its lease to expire. Metadata holding U+0000
// is refused when the task is created, with a clear error.

var (
	escNUL         = []byte(`\u0000`)
	escReplacement = []byte(`\ufffd`)
)

// hasNUL reports whether the valid JSON text b holds U+0000 in a string.
func hasNUL(b []byte) bool {
	if !bytes.Contains(b, escNUL) {
		return false
	}
	found := false
	scanNUL(b, func(int) { found = true })
	return found
}

// replaceNUL returns the valid JSON text b with every U+0000 in its
// strings (keys included) replaced by U+FFFD; b itself when it has none.
func replaceNUL(b []byte) []byte {
	if !bytes.Contains(b, escNUL) {
		return b
	}
	var out []byte
	scanNUL(b, func(i int) {
		if out == nil {
			out = bytes.Clone(b)
		}
		copy(out[i:], escReplacement)
	})
	if out == nil {
		return b
	}
	return out
}

// scanNUL calls at with the offset of every \u0000 escape within a
// string of the valid JSON text b (an escaped backslash followed by
// "u0000" is not one).
func scanNUL(b []byte, at func(int)) {
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case !inString:
			if c == '"' {
				inString = true
			}
		case c == '"':
			inString = false
		case c == '\\' && i+1 < len(b):
			if b[i+1] == 'u' && i+6 <= len(b) && bytes.Equal(b[i:i+6], escNUL) {
				at(i)
				i += 5
			} else {
				i++ // skip the escaped character
			}
		}
	}
}
