package rediskeys

import (
	"errors"
	"strconv"
	"time"

	"github.com/taskq/taskq/auth"
)

// errMissing says an indexed key has no record.
var errMissing = errors.New("indexed but not stored")

// decodeKey decodes the fields of a key record (see the package doc).
func decodeKey(id string, m map[string]string) (*auth.APIKey, error) {
	k := &auth.APIKey{ID: id, Name: m["n"], Role: auth.Role(m["r"]), Hash: []byte(m["h"])}
	created, err := parseMicros(m["c"])
	if err != nil {
		return nil, corrupt(id, err)
	}
	k.Created = created
	for _, f := range []struct {
		name string
		dst  **time.Time
	}{{"e", &k.ExpiresAt}, {"v", &k.RevokedAt}, {"u", &k.LastUsed}} {
		v, ok := m[f.name]
		if !ok {
			continue
		}
		t, err := parseMicros(v)
		if err != nil {
			return nil, corrupt(id, err)
		}
		*f.dst = &t
	}
	return k, nil
}

func parseMicros(v string) (time.Time, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMicro(n).UTC(), nil
}
