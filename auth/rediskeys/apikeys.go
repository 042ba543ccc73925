package rediskeys

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/rueidis"
	"github.com/taskq/taskq"
	"github.com/taskq/taskq/auth"
)

// createScript stores a key with its index entries unless its id or hash
// is taken. KEYS: record, all, hashes. ARGV: id, hash, created, then field
// name/value pairs. Returns "ok", "id" or "hash".
var createScript = rueidis.NewLuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 'id' end
if redis.call('HEXISTS', KEYS[3], ARGV[2]) == 1 then return 'hash' end
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[1])
return 'ok'
`)

// revokeScript sets the revocation time unless one is set. KEYS: record.
// ARGV: time. Returns 0 when the key does not exist.
var revokeScript = rueidis.NewLuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSETNX', KEYS[1], 'v', ARGV[1])
return 1
`)

// touchScript sets the last use unless a later one is set. KEYS: record.
// ARGV: time. Returns 0 when the key does not exist.
var touchScript = rueidis.NewLuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local u = redis.call('HGET', KEYS[1], 'u')
if not u or tonumber(ARGV[1]) > tonumber(u) then
  redis.call('HSET', KEYS[1], 'u', ARGV[1])
end
return 1
`)

func micros(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

// CreateAPIKey stores a new key (its hash only). A key without id or hash
// is invalid input; an id or hash already stored gives an error matching
// taskq.ErrConflict.
func (s *Store) CreateAPIKey(ctx context.Context, k *auth.APIKey) error {
	const op = "create api key"
	if k == nil || k.ID == "" || len(k.Hash) == 0 {
		return taskq.NewError(taskq.CodeInvalidInput, "rediskeys: "+op+": key needs an id and a hash")
	}
	args := []string{k.ID, string(k.Hash), micros(k.Created),
		"n", k.Name, "r", string(k.Role), "h", string(k.Hash), "c", micros(k.Created)}
	for _, f := range []struct {
		name string
		t    *time.Time
	}{{"e", k.ExpiresAt}, {"v", k.RevokedAt}, {"u", k.LastUsed}} {
		if f.t != nil {
			args = append(args, f.name, micros(*f.t))
		}
	}
	res, err := createScript.Exec(ctx, s.client, []string{s.k.key(k.ID), s.k.all, s.k.hashes}, args).ToString()
	if err != nil {
		return mapErr(ctx, op, err)
	}
	switch res {
	case "id":
		return &taskq.Error{Code: taskq.CodeConflict, Message: "api key " + k.ID + " exists"}
	case "hash":
		return &taskq.Error{Code: taskq.CodeConflict, Message: "an api key with this hash exists"}
	}
	return nil
}

// GetAPIKeyByHash returns the key whose hash equals hash (revoked and
// expired ones included), or an error matching taskq.ErrNotFound.
func (s *Store) GetAPIKeyByHash(ctx context.Context, hash []byte) (*auth.APIKey, error) {
	const op = "get api key"
	id, err := s.client.Do(ctx, s.client.B().Hget().Key(s.k.hashes).Field(string(hash)).Build()).ToString()
	if rueidis.IsRedisNil(err) {
		return nil, notFound()
	}
	if err != nil {
		return nil, mapErr(ctx, op, err)
	}
	return s.GetAPIKey(ctx, id)
}

// GetAPIKey returns a key by id, or an error matching taskq.ErrNotFound.
func (s *Store) GetAPIKey(ctx context.Context, id string) (*auth.APIKey, error) {
	m, err := s.client.Do(ctx, s.client.B().Hgetall().Key(s.k.key(id)).Build()).AsStrMap()
	if err != nil {
		return nil, mapErr(ctx, "get api key", err)
	}
	if len(m) == 0 {
		return nil, notFound()
	}
	return decodeKey(id, m)
}

// ListAPIKeys returns every key, oldest first (by creation time, then id).
func (s *Store) ListAPIKeys(ctx context.Context) ([]*auth.APIKey, error) {
	const op = "list api keys"
	ids, err := s.client.Do(ctx, s.client.B().Zrange().Key(s.k.all).Min("0").Max("-1").Build()).AsStrSlice()
	if err != nil {
		return nil, mapErr(ctx, op, err)
	}
	out := make([]*auth.APIKey, 0, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	cmds := make(rueidis.Commands, len(ids))
	for i, id := range ids {
		cmds[i] = s.client.B().Hgetall().Key(s.k.key(id)).Build()
	}
	for i, r := range s.client.DoMulti(ctx, cmds...) {
		m, err := r.AsStrMap()
		if err != nil {
			return nil, mapErr(ctx, op, err)
		}
		if len(m) == 0 {
			return nil, corrupt(ids[i], errMissing)
		}
		k, err := decodeKey(ids[i], m)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// RevokeAPIKey marks a key revoked at now (a revoked key keeps its first
// revocation time), or returns an error matching taskq.ErrNotFound.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, now time.Time) error {
	return s.update(ctx, "revoke api key", revokeScript, id, now)
}

// TouchAPIKey records a use of the key at now (the last use never moves
// backwards), or returns an error matching taskq.ErrNotFound.
func (s *Store) TouchAPIKey(ctx context.Context, id string, now time.Time) error {
	return s.update(ctx, "touch api key", touchScript, id, now)
}

func (s *Store) update(ctx context.Context, op string, l *rueidis.Lua, id string, now time.Time) error {
	n, err := l.Exec(ctx, s.client, []string{s.k.key(id)}, []string{micros(now)}).AsInt64()
	if err != nil {
		return mapErr(ctx, op, err)
	}
	if n == 0 {
		return notFound()
	}
	return nil
}
