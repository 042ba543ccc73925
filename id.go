package taskq

import (
	"encoding/hex"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// idClock packs the last id's unix milliseconds (high 52 bits) and a 12-bit
// sequence, so ids are strictly increasing within the process.
var idClock atomic.Uint64

// NewID returns a new time-ordered task id: a UUIDv7 (RFC 9562) whose
// 48-bit millisecond timestamp and 12-bit sequence (rand_a) make ids
// strictly increasing within the process, and whose 62 random bits come
// from a cryptographically seeded generator. Ids sort by creation time as
// strings.
func NewID() string {
	now := uint64(time.Now().UnixMilli()) << 12
	var v uint64
	for {
		last := idClock.Load()
		v = now
		if v <= last {
			v = last + 1 // same millisecond: next sequence number
		}
		if idClock.CompareAndSwap(last, v) {
			break
		}
	}
	ms, seq := v>>12, v&0xfff
	r := rand.Uint64()
	var b [16]byte
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	b[6] = 0x70 | byte(seq>>8)
	b[7] = byte(seq)
	b[8] = 0x80 | byte(r>>56)&0x3f
	for i := 9; i < 16; i++ {
		b[i] = byte(r >> (8 * (15 - i)))
	}
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}
