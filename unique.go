package taskq

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// UniqueOpts makes a task unique: while an existing task with the same
// unique key is in one of States, enqueueing another stores nothing and
// returns the existing task with an error matching ErrUniqueExists (and
// ErrDuplicate). The check and the creation are one atomic step of the
// storage, so concurrent producers on any backend create exactly one task.
//
// The key always holds the task type and the owner (so one owner never
// gets another's task back); each option adds a dimension:
//
//	WithUnique(UniqueOpts{})                                 // one live task of this type
//	WithUnique(UniqueOpts{ByArgs: true})                     // ... per metadata
//	WithUnique(UniqueOpts{Fields: []string{"user_id"}})      // ... per metadata user_id
//	WithUnique(UniqueOpts{Key: "nightly"})                   // ... per caller key
//	WithUnique(UniqueOpts{ByArgs: true, Period: time.Hour,   // at most one per hour,
//		States: UniqueStatesAll()})                          // even once completed
//
// Uniqueness is checked when a task is created, against the last task
// created with the key: its status at that moment decides. A task that
// leaves States releases the key for the next creation; a task that comes
// back into States later (a DLQ retry) does not make a newer one go away.
type UniqueOpts struct {
	// ByArgs makes the metadata count: tasks whose metadata differ (as
	// JSON, with object keys in any order) are not duplicates.
	ByArgs bool
	// Fields, when set, makes only these top-level metadata fields count
	// (a missing field counts as absent); it implies ByArgs.
	Fields []string
	// ByQueue makes the queue count: the same task on another queue is
	// not a duplicate.
	ByQueue bool
	// Key is a caller's key (at most 255 printable characters): tasks
	// with other keys are not duplicates.
	Key string
	// Period, when positive, makes the period of the task's run_at count
	// (run_at truncated to a multiple of Period since the Unix epoch, in
	// UTC): a task to run in the next period is not a duplicate. It must
	// be at least one second.
	Period time.Duration
	// States are the statuses in which an existing task blocks a new one.
	// Empty means UniqueStatesActive: pending, running and failed (the
	// task may still run). Add StatusCompleted for "at most once per
	// Period" even when the first one is done.
	States []TaskStatus
}

// UniqueStatesActive returns the default UniqueOpts.States: pending,
// running and failed (waiting for a retry).
func UniqueStatesActive() []TaskStatus {
	return []TaskStatus{StatusPending, StatusRunning, StatusFailed}
}

// UniqueStatesAll returns every status but cancelled and dead_letter: a
// task that ran, runs or will run blocks a new one (with Period, at most
// one task per period succeeds or is on its way).
func UniqueStatesAll() []TaskStatus {
	return []TaskStatus{StatusPending, StatusRunning, StatusFailed, StatusCompleted}
}

// UniqueArgs is an Args whose tasks are unique by default: EnqueueArgs,
// NewArgsTask and EnqueueMany apply Unique() unless the call passes
// WithUnique (which wins) or WithoutUnique.
type UniqueArgs interface {
	Args
	// Unique returns the uniqueness of the task.
	Unique() UniqueOpts
}

// WithUnique makes the task unique (see UniqueOpts).
func WithUnique(u UniqueOpts) EnqueueOption {
	return func(o *enqueueOptions) {
		o.unique = &u
		o.uniqueSet = true
	}
}

// WithoutUnique drops the default uniqueness of a UniqueArgs.
func WithoutUnique() EnqueueOption {
	return func(o *enqueueOptions) {
		o.unique = nil
		o.uniqueSet = true
	}
}

// kindUnique marks the duplicate creation of a unique task; it matches
// ErrDuplicate as well as ErrUniqueExists.
const kindUnique = "unique"

// NewUniqueError returns an error matching ErrUniqueExists and
// ErrDuplicate (not ErrConflict), for a storage that found a task holding
// the unique key of a new one. cause may be nil.
func NewUniqueError(message string, cause error) *Error {
	if message == "" {
		message = ErrUniqueExists.Message
	}
	return &Error{Code: CodeConflict, Message: message, Err: cause, kind: kindUnique}
}

// ErrUniqueExists matches the error of a creation refused because a task
// with the same unique key is in one of its unique states (UniqueOpts);
// the existing task is returned with it. Such an error matches
// ErrDuplicate too.
var ErrUniqueExists = &Error{Code: CodeConflict, Message: "a task with this unique key exists", kind: kindUnique}

// uniqueKeyVersion starts every hashed key; a change of the encoding
// changes it, so keys of different encodings never collide.
const uniqueKeyVersion = "taskq-unique-v1"

// MinUniquePeriod is the smallest positive UniqueOpts.Period.
const MinUniquePeriod = time.Second

// applyUnique computes t.UniqueKey and t.UniqueStates from u, after the
// record is otherwise complete (type, owner, queue, metadata, run_at).
// Problems are field errors of "unique.*".
func applyUnique(t *Task, u *UniqueOpts) []FieldError {
	var d []FieldError
	add := func(f, m string) { d = append(d, FieldError{Field: "unique." + f, Message: m}) }
	if u.Period < 0 || (u.Period > 0 && u.Period < MinUniquePeriod) {
		add("period", "must be at least 1s")
	}
	if !ValidText(u.Key) || len(u.Key) > 255 {
		add("key", "must be at most 255 printable characters")
	}
	for _, f := range u.Fields {
		if f == "" {
			add("fields", "must not hold empty names")
			break
		}
	}
	states := u.States
	if len(states) == 0 {
		states = UniqueStatesActive()
	}
	var set [len(statuses)]bool
	for _, s := range states {
		i := slices.Index(statuses[:], s)
		if i < 0 {
			add("states", fmt.Sprintf("unknown status %q", string(s)))
			continue
		}
		set[i] = true
	}
	if len(d) > 0 {
		return d
	}
	t.UniqueStates = t.UniqueStates[:0]
	for i, ok := range set {
		if ok {
			t.UniqueStates = append(t.UniqueStates, statuses[i])
		}
	}

	h := sha256.New()
	part := func(name string, v []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(v)))
		h.Write([]byte(name))
		h.Write(n[:])
		h.Write(v)
	}
	part(uniqueKeyVersion, nil)
	part("type", []byte(t.Type))
	part("owner", []byte(t.Owner))
	if u.ByQueue {
		part("queue", []byte(t.Queue))
	}
	if u.ByArgs || len(u.Fields) > 0 {
		m := t.Metadata
		if len(u.Fields) > 0 {
			m = make(map[string]any, len(u.Fields))
			for _, f := range u.Fields {
				if v, ok := t.Metadata[f]; ok {
					m[f] = v
				}
			}
		}
		b, err := json.Marshal(m) // map keys sorted: canonical
		if err != nil {
			return []FieldError{{Field: "metadata", Message: "must be encodable as JSON"}}
		}
		part("args", b)
	}
	if u.Key != "" {
		part("key", []byte(u.Key))
	}
	if u.Period > 0 {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(periodOf(t.RunAt, u.Period)))
		part("period", b[:])
	}
	t.UniqueKey = hex.EncodeToString(h.Sum(nil))
	return nil
}

// periodOf numbers the period of at: floor(ms since the epoch / period
// in ms), in milliseconds so that any run_at up to the year 9999 fits.
func periodOf(at time.Time, period time.Duration) int64 {
	ms, p := at.UnixMilli(), period.Milliseconds()
	q := ms / p
	if ms%p < 0 {
		q--
	}
	return q
}

// UniqueHeld reports whether a task in status s holds its unique key
// given its unique states: for storages deciding whether a new task with
// the same key is a duplicate.
func UniqueHeld(s TaskStatus, states []TaskStatus) bool {
	return slices.Contains(states, s)
}
