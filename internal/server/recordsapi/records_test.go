package recordsapi

import (
	"testing"
	"time"

	"github.com/rpa-operator/rpa-operator/internal/runrecord/store"
)

func TestJoinLogs(t *testing.T) {
	for _, tt := range []struct {
		name string
		logs []store.Log
		want string
	}{
		{"one attempt reads as its log", []store.Log{{Attempt: 1, Pod: "p1", Content: []byte("sent 40 letters\n")}}, "sent 40 letters\n"},
		{"attempts under their headers, a missing newline added", []store.Log{
			{Attempt: 1, Pod: "p1", Content: []byte("ESDH: 503")},
			{Attempt: 2, Pod: "p2", Content: []byte("journaled 20\n")},
		}, "==> attempt 1 (pod p1) <==\nESDH: 503\n==> attempt 2 (pod p2) <==\njournaled 20\n"},
		{"a cut log and a missing one say so", []store.Log{
			{Attempt: 1, Pod: "p1", Content: []byte("line\n"), Truncated: true},
			{Attempt: 2, Pod: "p2", Note: "the pod was gone before its log could be fetched"},
		}, "==> attempt 1 (pod p1) <==\nline\n[rpa-server: the log was cut here: at most 1048576 bytes are kept of a run's logs]\n" +
			"==> attempt 2 (pod p2) <==\n[rpa-server: the pod was gone before its log could be fetched]\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(joinLogs(tt.logs)); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestContinueTokensRoundTrip(t *testing.T) {
	c := store.Cursor{FinishedAt: time.Date(2026, 12, 2, 7, 1, 2, 345678000, time.UTC), UID: "6f1c2b7e-0c1d"}
	got, err := parseContinue(continueToken(c))
	if err != nil || !got.FinishedAt.Equal(c.FinishedAt) || got.UID != c.UID {
		t.Errorf("round trip %+v, %v; want %+v", got, err, c)
	}
	for _, bad := range []string{"not base64!", "MTIz", "eC95"} {
		if _, err := parseContinue(bad); err == nil {
			t.Errorf("token %q accepted", bad)
		}
	}
}
