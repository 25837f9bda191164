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
		{name: "name shaped like a shortened one shortened again", in: "robot-v2-run-0123456789abcdef", wantStart: "robot-v2-run-0123456789abcdef-"},
		{name: "scheduled run name kept", in: "letters-daily-202612010700-1a2b3c4d", wantSame: true},
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

// A runner must not be able to name a run after another run's Job: the
// Job name and the run label would then be shared.
func TestLabelValueOfARunNamedAfterAnotherRunsJob(t *testing.T) {
	victim := "robot.v2.run"
	squatter := LabelValue(victim)
	if LabelValue(squatter) == squatter {
		t.Errorf("a run named %q keeps its name, the Job name of run %q", squatter, victim)
	}
	if JobName(squatter) == JobName(victim) {
		t.Errorf("runs %q and %q share the Job name %q", squatter, victim, JobName(victim))
	}
}
