package postgres

import (
	"math"
	"sync"
	"time"

	"github.com/taskq/taskq"
)

// Round floors: where a Lease starts reading the ready entries of each
// priority.
//
// A leased or removed entry stays in queue_entries_ready_idx, dead, until
// a vacuum removes it, and it sorts before every entry still ready (the
// lowest rounds are leased first). A scan from the start of the priority
// reads them all: with a backlog of a million entries, the millionth lease
// read some 7,000 index pages of dead entries, and the drain slowed to 60%
// of its rate on a small backlog. So a Lease that took as many entries as
// it asked for remembers, per priority, the lowest round it took (the
// lowest round of any ready entry then, but for rows other transactions
// held), and the next Leases of the queue start their scans there.
//
// An entry can be given a round below the floor: a new owner's first
// entry gets the lowest ready round its statement's snapshot saw, which
// may predate the last lease; an entry held by a lease that rolled back is
// ready again. Such an entry is found by the next lease without floors:
// floors are used for a second at most after the lease without floors
// that set them, and a Lease whose floors kept it from taking as many
// entries as it asked for leases the rest without them at once. Until
// then, while at least a lease's worth of entries with higher rounds is
// ready, the entry waits behind them.
type roundFloors struct {
	mu sync.Mutex
	m  map[string]*floorState
}

// floorState is the floors of one queue.
type floorState struct {
	set   time.Time // when a lease without floors set them
	floor [taskq.NumPriorities]int64
}

// floorTTL is how long floors are used after the lease that set them.
const floorTTL = time.Second

// noFloor is the floor of a priority a lease reads from its start.
const noFloor = math.MinInt64

// unbounded is the floors of a lease that reads every priority from its
// start.
var unbounded = []int64{noFloor, noFloor, noFloor, noFloor}

// get returns the floors for a lease of queue (by priority) and whether
// any bounds it.
func (f *roundFloors) get(queue string) ([]int64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.m[queue]
	if st == nil || time.Since(st.set) >= floorTTL {
		return unbounded, false
	}
	return append([]int64(nil), st.floor[:]...), true
}

// record notes a lease of queue: whether floors bounded it, whether it
// took as many entries as it asked for, and the lowest round it took in
// each priority (noFloor for none). Only a full lease sets floors: one
// that was not full may have left entries the floors hid (bounded), or
// found the queue nearly empty, when a lease without floors costs little.
func (f *roundFloors) record(queue string, bounded, full bool, lowest [taskq.NumPriorities]int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !full {
		delete(f.m, queue)
		return
	}
	st := f.m[queue]
	if bounded && st == nil {
		// Dropped meanwhile by a lease that was not full: the rounds of a
		// bounded lease cannot set floors.
		return
	}
	if !bounded {
		if f.m == nil {
			f.m = map[string]*floorState{}
		}
		f.m[queue] = &floorState{set: time.Now(), floor: lowest}
		return
	}
	for p, r := range lowest {
		if r != noFloor {
			st.floor[p] = max(st.floor[p], r)
		}
	}
}
