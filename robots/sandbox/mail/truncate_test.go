package mail

import (
	"strings"
	"testing"
)

func TestTheLedgerKeepsAHeaderLineAtMost(t *testing.T) {
	tests := []struct {
		name, in string
		want     int
	}{
		{"short", "Flytning", 8},
		{"at the limit", strings.Repeat("a", maxHeaderBytes), maxHeaderBytes},
		{"longer", strings.Repeat("a", 5000), maxHeaderBytes},
		{"an ø across the limit is not split", strings.Repeat("a", maxHeaderBytes-1) + "ø", maxHeaderBytes - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := truncate(tt.in); len(got) != tt.want || !strings.HasPrefix(tt.in, got) {
				t.Errorf("truncate kept %d bytes, want %d", len(got), tt.want)
			}
		})
	}
}

func TestAMailboxNeedsAMailAddress(t *testing.T) {
	for _, address := range []string{"kommunen", "Kommunen <kommunen@herning.dk>", "kommunen@herning.dk\r\nBcc: x@y.dk"} {
		cfg := DefaultConfig()
		cfg.Address, cfg.Password = address, "x"
		if _, err := New(cfg); err == nil {
			t.Errorf("a mailbox was made for %q", address)
		}
	}
}
