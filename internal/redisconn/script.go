package redisconn

import (
	"context"
	"crypto/sha1"
	"encoding/hex"

	"github.com/redis/rueidis"
)

// Script is a Lua script of a backend. Exec runs it as rueidis.Lua does
// (EVALSHA, then EVAL when the server answers NOSCRIPT). Cmd builds the
// command for the calls that send it themselves: several runs pipelined in
// one DoMulti, or a run inside MULTI/EXEC, where rueidis cannot fall back
// and the caller sends Cmd(b, true, …) again on NOSCRIPT.
type Script struct {
	lua  *rueidis.Lua
	src  string
	sha1 string
}

// NewScript returns the Script of src.
func NewScript(src string) *Script {
	sum := sha1.Sum([]byte(src))
	return &Script{lua: rueidis.NewLuaScript(src), src: src, sha1: hex.EncodeToString(sum[:])}
}

// Exec runs the script on c with keys and args.
func (s *Script) Exec(ctx context.Context, c rueidis.Client, keys, args []string) rueidis.RedisResult {
	return s.lua.Exec(ctx, c, keys, args)
}

// Cmd builds the script's EVALSHA with keys and args, or its EVAL (which
// sends the source) when eval is set.
func (s *Script) Cmd(b rueidis.Builder, eval bool, keys, args []string) rueidis.Completed {
	if eval {
		return b.Eval().Script(s.src).Numkeys(int64(len(keys))).Key(keys...).Arg(args...).Build()
	}
	return b.Evalsha().Sha1(s.sha1).Numkeys(int64(len(keys))).Key(keys...).Arg(args...).Build()
}
