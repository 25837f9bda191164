package console

import (
	"bufio"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestReadBoundedLineCutsLongLinesAndKeepsTheRest(t *testing.T) {
	long := strings.Repeat("x", maxLogLine+100)
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"lines", "one\ntwo\n", []string{"one", "two"}},
		{"a last line without a newline", "one\ntwo", []string{"one", "two"}},
		{"an empty line stays", "one\n\ntwo\n", []string{"one", "", "two"}},
		{"a long line is cut, the next one whole", long + "\nnext\n", []string{long[:maxLogLine], "next"}},
		{"crlf", "one\r\ntwo\r\n", []string{"one", "two"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bufio.NewReaderSize(strings.NewReader(tt.in), maxLogLine)
			var got []string
			for {
				line, err := readBoundedLine(r)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, line)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %d lines %.40q, want %d %.40q", len(got), got, len(tt.want), tt.want)
			}
		})
	}
}

func TestAnEventCarriesARobotsTextAsOneJSONLine(t *testing.T) {
	w := httptest.NewRecorder()
	stream := newEventStream(w)
	if err := stream.send("log", liveLog{Pod: "p-1", Line: "a\n\nevent: end\ndata: <b>"}); err != nil {
		t.Fatal(err)
	}
	want := "event: log\ndata: {\"pod\":\"p-1\",\"line\":\"a\\n\\nevent: end\\ndata: \\u003cb\\u003e\"}\n\n"
	if got := w.Body.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := w.Header().Get("Content-Type"); got != "text/event-stream; charset=utf-8" {
		t.Errorf("Content-Type %q", got)
	}
}

func TestAStreamEndsBeforeItsTokenDoes(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		expiry time.Time
		want   time.Duration
	}{
		{"a Kubernetes token: no expiry known", time.Time{}, liveMaxAge},
		{"an ID token for an hour", now.Add(time.Hour), liveMaxAge},
		{"an ID token for 5 minutes: a minute before it", now.Add(5 * time.Minute), 4 * time.Minute},
		{"an ID token about to expire: not a reconnect loop", now.Add(30 * time.Second), minLiveAge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := streamLifetime(now, tt.expiry); got != tt.want {
				t.Errorf("streamLifetime = %v, want %v", got, tt.want)
			}
		})
	}
}
