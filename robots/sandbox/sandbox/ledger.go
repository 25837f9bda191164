package sandbox

import "slices"

// ledger records the writes of one endpoint by idempotency key: the first
// request with a key is done, a repeat with the same body is answered from
// the ledger and counted as a duplicate, and a repeat with another body is
// refused as a conflict (the robot reused a key for something else).
type ledger[R any] struct {
	byKey      map[string]ledgerEntry[R]
	keys       []string
	duplicates int
	conflicts  int
}

type ledgerEntry[R any] struct {
	request []byte
	record  R
}

// lookup finds the record for key; conflict is true when the key was used
// for a different request.
func (l *ledger[R]) lookup(key string, request []byte) (record R, found, conflict bool) {
	e, ok := l.byKey[key]
	if !ok {
		return record, false, false
	}
	if !slices.Equal(e.request, request) {
		l.conflicts++
		return record, true, true
	}
	l.duplicates++
	return e.record, true, false
}

func (l *ledger[R]) add(key string, request []byte, record R) {
	if l.byKey == nil {
		l.byKey = map[string]ledgerEntry[R]{}
	}
	l.byKey[key] = ledgerEntry[R]{request: request, record: record}
	l.keys = append(l.keys, key)
}

// records returns the records in the order they were made.
func (l *ledger[R]) records() []R {
	out := make([]R, 0, len(l.keys))
	for _, k := range l.keys {
		out = append(out, l.byKey[k].record)
	}
	return out
}

func (l *ledger[R]) len() int { return len(l.keys) }
