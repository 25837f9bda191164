package benchenv

import (
	"testing"
	"time"
)

func TestThousandsGroupsDigitsByThree(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0"}, {999, "999"}, {1000, "1,000"}, {1804.4, "1,804"}, {1234567, "1,234,567"},
	} {
		if got := Thousands(tc.in); got != tc.want {
			t.Errorf("Thousands(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMillisHasOneDecimal(t *testing.T) {
	if got := Millis(4200 * time.Microsecond); got != "4.2 ms" {
		t.Errorf("Millis(4.2 ms) = %q", got)
	}
	if got := Millis(123 * time.Millisecond); got != "123.0 ms" {
		t.Errorf("Millis(123 ms) = %q", got)
	}
}
