package benchenv

import (
	"fmt"
	"strings"
	"time"
)

// Millis writes a duration as docs/benchmarks.md does: 4.2 ms.
func Millis(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

// Thousands writes a number as docs/benchmarks.md does: 1,804.
func Thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
