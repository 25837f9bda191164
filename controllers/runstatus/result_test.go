package runstatus

import (
	"strings"
	"testing"
)

func TestParseTerminationMessage(t *testing.T) {
	tests := []struct {
		name        string
		message     string
		wantItems   int64
		wantResult  bool
		wantLogTail string
		wantErr     string
	}{
		{name: "empty", message: ""},
		{name: "whitespace", message: " \n"},
		{name: "full summary", message: `{"itemsProcessed":40,"itemsSucceeded":38,"itemsFailed":0,"businessExceptions":2,"summary":"40 letters"}`, wantResult: true, wantItems: 40},
		{name: "unknown fields ignored", message: `{"itemsProcessed":1,"robotVersion":"1.2"}`, wantResult: true, wantItems: 1},
		{name: "log tail from FallbackToLogsOnError", message: "connecting to SBSYS\nERROR: login refused", wantLogTail: "connecting to SBSYS\nERROR: login refused"},
		{name: "truncated JSON", message: `{"itemsProcessed":40,"summ`, wantErr: "not valid JSON"},
		{name: "wrong type", message: `{"itemsProcessed":"forty"}`, wantErr: "not valid JSON"},
		// encoding/json's syntax error quotes the character the robot wrote.
		{name: "a syntax error names the byte, not the character", message: `{"itemsProcessed":4,"summary":"CPR 010170-1234" x}`,
			wantErr: "not valid JSON: unexpected character at byte 49"},
		// encoding/json's own error quotes the number; the reason goes into
		// the run's message, which carries no text the robot wrote.
		{name: "a count past int64, not quoted", message: `{"itemsProcessed":99999999999999999999}`,
			wantErr: "not valid JSON: itemsProcessed is not a whole number"},
		{name: "a fractional count, not quoted", message: `{"itemsFailed":1500.25}`,
			wantErr: "not valid JSON: itemsFailed is not a whole number"},
		{name: "a summary that is not a string", message: `{"summary":4711}`,
			wantErr: "not valid JSON: summary is not a string"},
		{name: "negative count", message: `{"itemsProcessed":5,"itemsFailed":-1}`, wantErr: "negative itemsFailed"},
		// FallbackToLogsOnError after an OOM kill: a robot that logs JSON
		// leaves JSON log lines, which are its log, not its result.
		{name: "a JSON log line is the log tail", message: `{"level":"error","msg":"out of memory"}`,
			wantLogTail: `{"level":"error","msg":"out of memory"}`},
		{name: "several JSON log lines are the log tail", message: "{\"level\":\"info\",\"itemsProcessed\":3}\n{\"level\":\"error\"}",
			wantLogTail: "{\"level\":\"info\",\"itemsProcessed\":3}\n{\"level\":\"error\"}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			result, tail, err := ParseTerminationMessage(tt.message)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (result != nil) != tt.wantResult {
				t.Fatalf("result = %+v, want present %v", result, tt.wantResult)
			}
			if result != nil && *result.ItemsProcessed != tt.wantItems {
				t.Errorf("itemsProcessed = %d, want %d", *result.ItemsProcessed, tt.wantItems)
			}
			if tail != tt.wantLogTail {
				t.Errorf("log tail %q, want %q", tail, tt.wantLogTail)
			}
		})
	}
}

func TestParseTerminationMessageBoundsTheSummary(t *testing.T) {
	result, _, err := ParseTerminationMessage(`{"summary":"` + strings.Repeat("ø", 2000) + `"}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(result.Summary) > maxSummaryLength+len("…") || !strings.HasSuffix(result.Summary, "…") {
		t.Errorf("summary of %d bytes not bounded", len(result.Summary))
	}
}

func FuzzParseTerminationMessage(f *testing.F) {
	f.Add(`{"itemsProcessed":1}`)
	f.Add("plain log")
	f.Add(`{"summary":"æ`)
	f.Fuzz(func(t *testing.T, message string) {
		result, _, err := ParseTerminationMessage(message)
		if err == nil && result != nil && len(result.Summary) > maxSummaryLength+len("…") {
			t.Errorf("summary not bounded")
		}
	})
}
