package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// maxRequestBytes bounds a request body.
const maxRequestBytes = 1 << 20

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

// readWrite reads a write request: its idempotency key and its JSON body,
// and the body re-encoded, which is what a repeat is compared with. It
// answers 400 itself and returns ok false when either is missing or bad.
func readWrite[T any](w http.ResponseWriter, r *http.Request) (key string, req T, canonical []byte, ok bool) {
	key = r.Header.Get(IdempotencyKeyHeader)
	if key == "" {
		writeError(w, http.StatusBadRequest, "the %s header is required: a write without one cannot be retried safely", IdempotencyKeyHeader)
		return "", req, nil, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes))
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "read request: %v", err)
		return "", req, nil, false
	}
	canonical, err = json.Marshal(req)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "encode request: %v", err)
		return "", req, nil, false
	}
	return key, req, canonical, true
}

// replayOrConflict answers a write whose key the ledger knows: with the
// first answer, or 422 when the key was used for another request. It
// returns false when the key is new.
func replayOrConflict[R any](w http.ResponseWriter, l *ledger[R], key string, canonical []byte) bool {
	record, found, conflict := l.lookup(key, canonical)
	switch {
	case !found:
		return false
	case conflict:
		writeError(w, http.StatusUnprocessableEntity, "idempotency key %q was used for a different request", key)
	default:
		w.Header().Set(ReplayedHeader, "true")
		writeJSON(w, http.StatusOK, record)
	}
	return true
}

func writeTooManyRequests(w http.ResponseWriter, retryAfter int) {
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	writeError(w, http.StatusTooManyRequests, "too many requests: ESDH accepts a few journal entries a second; retry after %d s", retryAfter)
}
