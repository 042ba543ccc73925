package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/taskq/taskq"
)

// maxJSONDepth bounds the nesting checkJSON walks (and so what any later
// decoder sees).
const maxJSONDepth = 64

// checkJSON refuses, with 400 invalid_input, a body that is not valid
// UTF-8, that repeats a key inside one object, that holds NUL in any string
// (keys included), that nests deeper than maxJSONDepth, or whose top-level
// keys match a field of v only case-insensitively. Malformed JSON is left
// to the decoder's own error: the walk stops there, having checked what
// came before.
//
// The walk is one pass over the bytes that allocates nothing for a
// typical body (keys are compared in place; a key with escapes is
// unescaped as encoding/json would), so that checking costs little next
// to the decoding that follows.
func checkJSON(b []byte, v any) error {
	if !utf8.Valid(b) {
		return apiError(taskq.CodeInvalidInput, "request body is not valid UTF-8")
	}
	s := scanners.Get().(*jsonScanner)
	defer s.release()
	s.b, s.i = b, 0
	for {
		s.skipSpace()
		if s.i >= len(s.b) {
			break
		}
		if err := s.value(0); err == errTruncated {
			break // the decoder reports it, once the keys read are checked
		} else if err == errMalformed {
			return nil // the decoder reports it
		} else if err != nil {
			return err
		}
	}
	return checkFieldCase(s.top, v)
}

// errMalformed stops the walk at malformed JSON; errTruncated at the end
// of a body cut between two tokens (encoding/json's token reader sees the
// end of its input there, not an error).
var (
	errMalformed = errors.New("malformed JSON")
	errTruncated = errors.New("truncated JSON")
)

// jsonScanner is the state of one checkJSON walk, pooled with its buffers.
type jsonScanner struct {
	b     []byte
	i     int
	keys  [][]byte // the keys of the open objects, innermost last
	field []byte   // the top-level key whose value is being read
	top   [][]byte // the top-level keys
}

var scanners = sync.Pool{New: func() any { return &jsonScanner{} }}

func (s *jsonScanner) release() {
	if cap(s.keys) > 1024 || cap(s.top) > 1024 {
		return // an unusual body: let its buffers go
	}
	clear(s.keys[:cap(s.keys)])
	clear(s.top[:cap(s.top)])
	*s = jsonScanner{keys: s.keys[:0], top: s.top[:0]}
	scanners.Put(s)
}

func (s *jsonScanner) skipSpace() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value checks the value at s.i; depth is the number of open containers.
func (s *jsonScanner) value(depth int) error {
	if s.i >= len(s.b) {
		return errTruncated
	}
	switch c := s.b[s.i]; {
	case c == '{' || c == '[':
		if depth >= maxJSONDepth {
			return apiError(taskq.CodeInvalidInput, "JSON nests too deep")
		}
		if c == '{' {
			return s.object(depth + 1)
		}
		return s.array(depth + 1)
	case c == '"':
		_, nul, err := s.str()
		if err != nil {
			return err
		}
		if nul {
			if len(s.field) == 0 {
				return apiError(taskq.CodeInvalidInput, "strings must not contain NUL (\\u0000)")
			}
			return validationError([]taskq.FieldError{{Field: string(s.field), Message: "must not contain NUL (\\u0000)"}})
		}
		return nil
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return errMalformed
}

func (s *jsonScanner) literal(lit string) error {
	if !bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
		return errMalformed
	}
	s.i += len(lit)
	return nil
}

// number checks -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (s *jsonScanner) number() error {
	b, i := s.b, s.i
	if b[i] == '-' {
		i++
	}
	digits := func() bool {
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > j
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return errMalformed
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return errMalformed
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return errMalformed
		}
	}
	s.i = i
	return nil
}

// str checks the string at s.i and returns its content as a key compares
// (the raw bytes, or the unescaped text when it holds escapes) and whether
// it holds NUL.
func (s *jsonScanner) str() (text []byte, nul bool, err error) {
	b := s.b
	start := s.i
	i := start + 1
	escaped := false
	for {
		if i >= len(b) {
			return nil, false, errMalformed
		}
		c := b[i]
		switch {
		case c == '"':
			s.i = i + 1
			if !escaped {
				return b[start+1 : i], false, nil
			}
			var u string
			if json.Unmarshal(b[start:i+1], &u) != nil {
				return nil, false, errMalformed
			}
			return []byte(u), strings.IndexByte(u, 0) >= 0, nil
		case c < 0x20:
			return nil, false, errMalformed
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				return nil, false, errMalformed
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return nil, false, errMalformed
				}
				for _, h := range b[i+2 : i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return nil, false, errMalformed
					}
				}
				i += 6
			default:
				return nil, false, errMalformed
			}
		default:
			i++
		}
	}
}

// object checks the object at s.i, at nesting depth (itself included).
func (s *jsonScanner) object(depth int) error {
	s.i++ // {
	first := len(s.keys)
	defer func() {
		clear(s.keys[first:])
		s.keys = s.keys[:first]
	}()
	var many map[string]bool // the keys of an object with many
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		if s.i >= len(s.b) {
			return errTruncated
		}
		if s.b[s.i] != '"' {
			return errMalformed
		}
		key, nul, err := s.str()
		if err != nil {
			return err
		}
		if nul {
			return apiError(taskq.CodeInvalidInput, "strings must not contain NUL (\\u0000)")
		}
		if s.repeated(first, &many, key) {
			return apiError(taskq.CodeInvalidInput, "duplicate key "+clip(quoteKey(string(key)), 80))
		}
		if depth == 1 {
			s.top = append(s.top, key)
			s.field = key
		}
		s.skipSpace()
		if s.i >= len(s.b) {
			return errTruncated
		}
		if s.b[s.i] != ':' {
			return errMalformed
		}
		s.i++
		s.skipSpace()
		if err := s.value(depth); err != nil {
			return err
		}
		s.skipSpace()
		if s.i >= len(s.b) {
			return errTruncated
		}
		switch s.b[s.i] {
		case ',':
			s.i++
			s.skipSpace()
		case '}':
			s.i++
			return nil
		default:
			return errMalformed
		}
	}
}

// manyKeys is the number of keys from which an object's keys are looked
// up in a map rather than compared one by one.
const manyKeys = 16

// repeated reports whether key was seen in the object whose keys start
// at s.keys[first], and records it.
func (s *jsonScanner) repeated(first int, many *map[string]bool, key []byte) bool {
	if *many != nil {
		if (*many)[string(key)] {
			return true
		}
		(*many)[string(key)] = true
		return false
	}
	for _, k := range s.keys[first:] {
		if bytes.Equal(k, key) {
			return true
		}
	}
	s.keys = append(s.keys, key)
	if len(s.keys)-first >= manyKeys {
		*many = make(map[string]bool, 2*manyKeys)
		for _, k := range s.keys[first:] {
			(*many)[string(k)] = true
		}
	}
	return false
}

// array checks the array at s.i, at nesting depth (itself included).
func (s *jsonScanner) array(depth int) error {
	s.i++ // [
	s.skipSpace()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for {
		if err := s.value(depth); err != nil {
			return err
		}
		s.skipSpace()
		if s.i >= len(s.b) {
			return errTruncated
		}
		switch s.b[s.i] {
		case ',':
			s.i++
			s.skipSpace()
		case ']':
			s.i++
			return nil
		default:
			return errMalformed
		}
	}
}

// checkFieldCase refuses a key that names a field of v's struct only
// case-insensitively.
func checkFieldCase(keys [][]byte, v any) error {
	exact := fieldNames(reflect.TypeOf(v))
	if exact == nil {
		return nil
	}
	for _, k := range keys {
		if exact[string(k)] {
			continue
		}
		for name := range exact {
			if strings.EqualFold(name, string(k)) {
				return apiError(taskq.CodeInvalidInput, "unknown field "+clip(quoteKey(string(k)), 80)+" (field names are case-sensitive: "+name+")")
			}
		}
	}
	return nil
}

// fieldNameCache holds fieldNames' answers by type.
var fieldNameCache sync.Map // reflect.Type -> map[string]bool

// fieldNames returns the JSON names of the fields of the struct t points
// to (nil when t is not a struct or a pointer to one).
func fieldNames(t reflect.Type) map[string]bool {
	if t == nil {
		return nil
	}
	if m, ok := fieldNameCache.Load(t); ok {
		return m.(map[string]bool)
	}
	st := t
	for st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	var exact map[string]bool
	if st.Kind() == reflect.Struct {
		exact = map[string]bool{}
		for f := range st.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			exact[name] = true
		}
	}
	fieldNameCache.Store(t, exact)
	return exact
}

func quoteKey(k string) string {
	b, _ := json.Marshal(k)
	return string(b)
}
