package fieldselect

import (
	"testing"
	"time"
)

func TestTime(t *testing.T) {
	cph := time.FixedZone("CET", 3600)
	for in, want := range map[string]time.Time{
		"2026-11-01":                time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		"2026-11-01T00:00:00+01:00": time.Date(2026, 11, 1, 0, 0, 0, 0, cph),
	} {
		if got, err := Time("from", in); err != nil || !got.Equal(want) {
			t.Errorf("%s: %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := Time("from", "last tuesday"); err == nil {
		t.Error("a time that is not one was accepted")
	}
}
