package redisstore

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/taskq/taskq"
	"github.com/taskq/taskq/internal/timerange"
)

// A task record is one hash, {prefix}:t:<id>, with short field names.
// Absent fields are zero values (empty strings, 0, nil times, nil
// metadata/error/result), which keeps small records in Redis' compact
// listpack encoding. Times are encTime strings (UTC, microseconds).
//
//	y type         s status       p priority     de description
//	c created      u updated      ca completed   dl deadline
//	rc retries     mr max retries e error JSON   r result JSON
//	md metadata    q queue        ra run at      sa started at
//	to timeout ms  a attempts     dr DLQ retries da dead-lettered at
//	o owner        k idem. key    dk DLQ index member (dead_letter only)
//	tc trace context JSON pg progress JSON (set by SetProgress only)
//	uk unique key  us unique states, joined by "," (unique.go)

// encoded is a task ready for the scripts.
type encoded struct {
	id, status, typ, queue, owner, idemKey string
	dk                                     string // DLQ member, "" unless dead_letter
	entry                                  string // queue entry of a dispatching store (entryArg)
	fields                                 []string
	// md is the metadata as a read returns it (taskq.NormalizeMetadata),
	// kept by encodeTask when asked to: CreateTask returns the stored task
	// without decoding the JSON it just encoded.
	md map[string]any
}

func putStr(f []string, k, v string) []string {
	if v == "" {
		return f
	}
	return append(f, k, v)
}

func putInt(f []string, k string, v int64) []string {
	if v == 0 {
		return f
	}
	return append(f, k, strconv.FormatInt(v, 10))
}

func putTime(f []string, k string, t *time.Time) []string {
	if t == nil {
		return f
	}
	return append(f, k, encTime(*t))
}

func checkTime(name string, t *time.Time) error {
	if t != nil && !timerange.Valid(*t) {
		return invalid("%s %s", name, timerange.Message)
	}
	return nil
}

// mutableParts validates and encodes the mutable fields of t.
type mutableParts struct {
	errJSON, result string
	dlqAt           *time.Time
}

func (s *Store) mutableOf(t *taskq.Task) (mutableParts, error) {
	var m mutableParts
	if !t.Status.Valid() {
		return m, invalid("task %s: unknown status %q", t.ID, string(t.Status))
	}
	for _, c := range []struct {
		name string
		t    *time.Time
	}{{"updated", &t.Updated}, {"run_at", &t.RunAt}, {"started_at", t.StartedAt},
		{"completed_at", t.CompletedAt}, {"dead_lettered_at", t.DeadLetteredAt}} {
		if err := checkTime(c.name, c.t); err != nil {
			return m, err
		}
	}
	if t.Error != nil {
		b, err := json.Marshal(t.Error)
		if err != nil {
			return m, invalid("task %s: error is not encodable as JSON", t.ID)
		}
		m.errJSON = string(b)
	}
	if len(t.Result) > 0 {
		if !json.Valid(t.Result) {
			return m, invalid("task %s: result is not valid JSON", t.ID)
		}
		m.result = string(t.Result)
	}
	m.dlqAt = t.DeadLetteredAt
	if t.Status == taskq.StatusDeadLetter && m.dlqAt == nil {
		// Every DLQ entry needs an entry time for its place in the
		// oldest-first order: Updated, else now (as storage/postgres).
		at := t.Updated
		if at.IsZero() {
			at = s.cfg.Now()
		}
		m.dlqAt = &at
	}
	return m, nil
}

// encodeMutable returns the mutable fields as pairs for the update script;
// an empty value deletes the field.
func encodeMutable(t *taskq.Task, m mutableParts) (pairs []string, dk string) {
	opt := func(p *time.Time) string {
		if p == nil {
			return ""
		}
		return encTime(*p)
	}
	num := func(v int64) string {
		if v == 0 {
			return ""
		}
		return strconv.FormatInt(v, 10)
	}
	if t.Status == taskq.StatusDeadLetter {
		dk = dlqMember(*m.dlqAt, t.ID)
	}
	return []string{
		"s", string(t.Status),
		"p", num(int64(t.Priority)),
		"ra", encTime(t.RunAt),
		"sa", opt(t.StartedAt),
		"ca", opt(t.CompletedAt),
		"rc", num(int64(t.RetryCount)),
		"a", num(int64(t.Attempts)),
		"e", m.errJSON,
		"r", m.result,
		"dr", num(int64(t.DLQRetryCount)),
		"da", opt(m.dlqAt),
		"u", encTime(t.Updated),
		"dk", dk,
	}, dk
}

// encodeTask validates t and encodes its whole record; with keepMetadata
// it also keeps the metadata as a read returns it (encoded.md).
func (s *Store) encodeTask(t *taskq.Task, keepMetadata bool) (encoded, error) {
	if t == nil || t.ID == "" {
		return encoded{}, invalid("task without id")
	}
	m, err := s.mutableOf(t)
	if err != nil {
		return encoded{}, err
	}
	if err := checkTime("created", &t.Created); err != nil {
		return encoded{}, err
	}
	if err := checkTime("deadline", t.Deadline); err != nil {
		return encoded{}, err
	}
	var md string
	var mdMap map[string]any
	if t.Metadata != nil {
		// The bytes NormalizeMetadata returns; the map only when kept.
		var b []byte
		var err error
		if keepMetadata {
			mdMap, b, err = taskq.NormalizeMetadata(t.Metadata)
		} else {
			b, err = json.Marshal(t.Metadata)
		}
		if err != nil {
			return encoded{}, invalid("task %s: metadata is not encodable as JSON", t.ID)
		}
		md = string(b)
	}
	mut, dk := encodeMutable(t, m)
	f := make([]string, 0, 48)
	for i := 0; i < len(mut); i += 2 {
		f = putStr(f, mut[i], mut[i+1])
	}
	f = putStr(f, "y", t.Type)
	f = putStr(f, "de", t.Description)
	f = append(f, "c", encTime(t.Created))
	f = putTime(f, "dl", t.Deadline)
	f = putInt(f, "mr", int64(t.MaxRetries))
	f = putStr(f, "md", md)
	f = putStr(f, "q", t.Queue)
	f = putInt(f, "to", t.Timeout.Milliseconds())
	f = putStr(f, "o", t.Owner)
	f = putStr(f, "k", t.IdempotencyKey)
	f = putUnique(f, t)
	if len(t.TraceContext) > 0 {
		b, err := json.Marshal(t.TraceContext)
		if err != nil {
			return encoded{}, invalid("task %s: trace context is not encodable as JSON", t.ID)
		}
		f = append(f, "tc", string(b))
	}
	entry, err := s.entryArg(t)
	if err != nil {
		return encoded{}, err
	}
	return encoded{id: t.ID, status: string(t.Status), typ: t.Type, queue: t.Queue, owner: t.Owner,
		idemKey: t.IdempotencyKey, dk: dk, entry: entry, fields: f, md: mdMap}, nil
}

// decodeCreated returns the task e stored, as a read returns it: its
// fields decoded, but the metadata kept by encodeTask (keepMetadata)
// rather than decoded from its JSON again.
func decodeCreated(e encoded) (*taskq.Task, error) {
	return decodeRecordOf(e.id, e.fields, e.md)
}

// decodeTask builds a task from its id and hash fields (pairs).
func decodeTask(id string, kv []string) (*taskq.Task, error) {
	return decodeRecordOf(id, kv, nil)
}

// decodeRecordOf is decodeTask; a non-nil md is the metadata, already
// decoded, and the md field is not read.
func decodeRecordOf(id string, kv []string, md map[string]any) (*taskq.Task, error) {
	t := &taskq.Task{ID: id, Metadata: md}
	var err error
	bad := func(e error) {
		if err == nil {
			err = e
		}
	}
	tm := func(v string) time.Time {
		at, ok := decTime(v)
		if !ok {
			bad(strconv.ErrSyntax)
		}
		return at
	}
	num := func(v string) int {
		n, e := strconv.Atoi(v)
		if e != nil {
			bad(e)
		}
		return n
	}
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		switch kv[i] {
		case "y":
			t.Type = v
		case "s":
			t.Status = taskq.TaskStatus(v)
		case "p":
			t.Priority = taskq.TaskPriority(num(v))
		case "de":
			t.Description = v
		case "c":
			t.Created = tm(v)
		case "u":
			t.Updated = tm(v)
		case "ca":
			t.CompletedAt = new(tm(v))
		case "dl":
			t.Deadline = new(tm(v))
		case "rc":
			t.RetryCount = num(v)
		case "mr":
			t.MaxRetries = num(v)
		case "e":
			t.Error = &taskq.TaskError{}
			if e := json.Unmarshal([]byte(v), t.Error); e != nil {
				bad(e)
			}
		case "r":
			t.Result = json.RawMessage(v)
		case "md":
			if md != nil {
				break
			}
			m, e := taskq.DecodeMetadata([]byte(v))
			if e != nil {
				bad(e)
			}
			t.Metadata = m
		case "q":
			t.Queue = v
		case "ra":
			t.RunAt = tm(v)
		case "sa":
			t.StartedAt = new(tm(v))
		case "to":
			t.Timeout = time.Duration(num(v)) * time.Millisecond
		case "a":
			t.Attempts = num(v)
		case "dr":
			t.DLQRetryCount = num(v)
		case "da":
			t.DeadLetteredAt = new(tm(v))
		case "o":
			t.Owner = v
		case "k":
			t.IdempotencyKey = v
		case "tc":
			if e := json.Unmarshal([]byte(v), &t.TraceContext); e != nil {
				bad(e)
			}
		case "pg":
			t.Progress = &taskq.Progress{}
			if e := json.Unmarshal([]byte(v), t.Progress); e != nil {
				bad(e)
			}
		}
	}
	if err != nil {
		return nil, corrupt(id, err)
	}
	if t.Status == "" {
		return nil, corrupt(id, strconv.ErrSyntax)
	}
	return t, nil
}
