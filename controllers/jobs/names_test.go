package jobs

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestLabelValue(t *testing.T) {
	long := strings.Repeat("welcome-letters-", 10) + "x"
	tests := []struct {
		name      string
		in        string
		wantSame  bool
		wantStart string
	}{
		{name: "short name kept", in: "welcome-letters-manual-x7k2p", wantSame: true},
		{name: "exactly 63 characters kept", in: strings.Repeat("a", 63), wantSame: true},
		{name: "64 characters shortened", in: strings.Repeat("a", 64), wantStart: strings.Repeat("a", 46)},
		{name: "dotted name made a DNS label", in: "robot.v2.run", wantStart: "robot-v2-run-"},
		{name: "253-character name shortened", in: long, wantStart: "welcome-letters-welcome-letters-welcome-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := LabelValue(tt.in)
			if errs := validation.IsDNS1123Label(got); len(errs) > 0 {
				t.Fatalf("LabelValue(%q) = %q, not a DNS label: %v", tt.in, got, errs)
			}
			if errs := validation.IsValidLabelValue(got); len(errs) > 0 {
				t.Fatalf("LabelValue(%q) = %q, not a label value: %v", tt.in, got, errs)
			}
			if tt.wantSame && got != tt.in {
				t.Errorf("LabelValue(%q) = %q, want it unchanged", tt.in, got)
			}
			if !tt.wantSame && !strings.HasPrefix(got, tt.wantStart) {
				t.Errorf("LabelValue(%q) = %q, want prefix %q", tt.in, got, tt.wantStart)
			}
			if again := LabelValue(tt.in); again != got {
				t.Errorf("not deterministic: %q then %q", got, again)
			}
		})
	}
}

func TestLabelValueKeepsLongNamesApart(t *testing.T) {
	base := strings.Repeat("certificate-journal-", 4)
	a, b := LabelValue(base+"2026-11-22t0700"), LabelValue(base+"2026-11-23t0700")
	if a == b {
		t.Errorf("two runs of different days share the job name %q", a)
	}
}
