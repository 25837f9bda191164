package sdk

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEncode(t *testing.T) {
	tests := []struct {
		name        string
		result      Result
		wantSummary func(string) bool
	}{
		{
			name:        "short summary kept whole",
			result:      Result{ItemsProcessed: 40, ItemsSucceeded: 38, BusinessExceptions: 2, Summary: "40 welcome letters, 2 protected addresses"},
			wantSummary: func(s string) bool { return s == "40 welcome letters, 2 protected addresses" },
		},
		{
			name:        "long ASCII summary shortened and marked",
			result:      Result{ItemsProcessed: 1, Summary: strings.Repeat("x", 10000)},
			wantSummary: func(s string) bool { return strings.HasSuffix(s, "…") && len(s) < 4096 },
		},
		{
			name:        "long Danish summary cut at a rune boundary",
			result:      Result{Summary: strings.Repeat("æøå", 3000)},
			wantSummary: func(s string) bool { return utf8.ValidString(s) && strings.HasSuffix(s, "…") },
		},
		{
			name:        "summary of escaped characters still fits",
			result:      Result{Summary: strings.Repeat("\"<>", 3000)},
			wantSummary: func(s string) bool { return strings.HasSuffix(s, "…") && len(s) > 2000 },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := tt.result.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if len(data) > MaxResultBytes {
				t.Fatalf("encoded %d bytes, limit %d", len(data), MaxResultBytes)
			}
			var got Result
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			if !tt.wantSummary(got.Summary) {
				t.Errorf("summary %.60q… (%d bytes) not as wanted", got.Summary, len(got.Summary))
			}
			if got.ItemsProcessed != tt.result.ItemsProcessed || got.BusinessExceptions != tt.result.BusinessExceptions {
				t.Errorf("counts changed: got %+v", got)
			}
		})
	}
}

func TestWriteResultWritesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "termination-log")
	want := Result{ItemsProcessed: 3, ItemsSucceeded: 2, ItemsFailed: 1, Summary: "3 certificates journalled"}
	if err := WriteResult(path, want); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got Result
	if err := json.Unmarshal(data, &got); err != nil || got != want {
		t.Errorf("file holds %s (%v), want %+v", data, err, want)
	}
}

func TestWriteResultReportsUnwritablePath(t *testing.T) {
	err := WriteResult(filepath.Join(t.TempDir(), "missing-dir", "log"), Result{})
	if err == nil || !strings.Contains(err.Error(), "write result") {
		t.Errorf("err = %v, want a write error naming what failed", err)
	}
}
