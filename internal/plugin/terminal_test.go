package plugin

import (
	"bytes"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

func TestTerminalSafe(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text, Danish letters and lines stay", "Brev til æblevej 3\n\tok", "Brev til æblevej 3\n\tok"},
		{"a colour sequence", "\x1b[31mfejl\x1b[0m", `\x1b[31mfejl\x1b[0m`},
		{"a window title and a bell", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"carriage return hiding a line", "rigtig\rfalsk", `rigtig\x0dfalsk`},
		{"a C1 control sequence introducer", "a\u009b2Jb", `a\x9b2Jb`},
		{"a right-to-left override", "fil\u202egnp.exe", `fil\u202egnp.exe`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := terminalSafe(tt.in); got != tt.want {
				t.Errorf("terminalSafe(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLogsAndDescriptionsCarryNoRawControlCharacters(t *testing.T) {
	var logs bytes.Buffer
	if err := copyTerminalSafe(&logs, strings.NewReader("line 1\n\x1b[2Jline 2\nno newline\x1b")); err != nil {
		t.Fatal(err)
	}
	if got, want := logs.String(), "line 1\n\\x1b[2Jline 2\nno newline\\x1b"; got != want {
		t.Errorf("logs %q, want %q", got, want)
	}

	run := &rpav1alpha1.RobotRun{ObjectMeta: metav1.ObjectMeta{Name: "r1", Namespace: "ns"}}
	run.Status.Message = "last log lines: \x1b]0;owned\x07"
	run.Status.Result = &rpav1alpha1.RunResult{Summary: "done\x1b[8m hidden"}
	run.Status.LogTail = "ERROR \x1b[2J"
	var described, outcome bytes.Buffer
	if err := writeDescription(&described, run); err != nil {
		t.Fatal(err)
	}
	writeOutcome(&outcome, run)
	for name, out := range map[string]string{"describe": described.String(), "outcome": outcome.String()} {
		if strings.ContainsRune(out, 0x1b) || strings.ContainsRune(out, 0x07) {
			t.Errorf("%s prints raw control characters: %q", name, out)
		}
	}
}
