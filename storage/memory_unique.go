package storage

import "github.com/taskq/taskq"

// uniqueHolder is the last task created with a unique key and the
// statuses in which it holds the key.
type uniqueHolder struct {
	id     string
	states []taskq.TaskStatus
}

func uniqueDuplicate(id string) error {
	return taskq.NewUniqueError("task "+id+" holds the unique key", nil)
}

// uniqueHolderLocked returns the record holding key: the last task created
// with it, while its status is one of its unique states; nil when the key
// is free. The caller holds mu.
func (m *Memory) uniqueHolderLocked(key string) *taskq.Task {
	h, ok := m.uniq[key]
	if !ok {
		return nil
	}
	if t := m.tasks[h.id]; t != nil && taskq.UniqueHeld(t.Status, h.states) {
		return t
	}
	return nil
}

// takeUniqueLocked makes the owned record t the holder of its unique key
// and drops the key from the record (records read back do not carry it).
func (m *Memory) takeUniqueLocked(t *taskq.Task) {
	if t.UniqueKey == "" {
		return
	}
	if m.uniq == nil {
		m.uniq, m.uniqOf = make(map[string]uniqueHolder), make(map[string]string)
	}
	if prev, ok := m.uniq[t.UniqueKey]; ok {
		delete(m.uniqOf, prev.id)
	}
	m.uniq[t.UniqueKey] = uniqueHolder{id: t.ID, states: t.UniqueStates}
	m.uniqOf[t.ID] = t.UniqueKey
	t.UniqueKey, t.UniqueStates = "", nil
}

// dropUniqueLocked forgets the unique key held by record id, if any.
func (m *Memory) dropUniqueLocked(id string) {
	k, ok := m.uniqOf[id]
	if !ok {
		return
	}
	delete(m.uniqOf, id)
	if m.uniq[k].id == id {
		delete(m.uniq, k)
	}
}
