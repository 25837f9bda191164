package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestRefusesWhatItCannotServe: each wrong setting stops the console
// before it serves, saying what to fix.
func TestRefusesWhatItCannotServe(t *testing.T) {
	short := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(short, []byte("too short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--sign-in=oidc", "--namespaces=hr"}, "only token is built yet"},
		{[]string{}, "--namespaces"},
		{[]string{"--namespaces=hr", "--time-zone=Mars/Olympus"}, "--time-zone"},
		{[]string{"--namespaces=hr", "--session-key-file=" + filepath.Join(t.TempDir(), "missing")}, "read the session key"},
		{[]string{"--namespaces=hr", "--session-key-file=" + short}, "fewer than the 32 needed"},
	} {
		cfg := parseFlags(pflag.NewFlagSet("rpa-console", pflag.ContinueOnError), tt.args)
		if err := run(cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want an error saying %q", tt.args, err, tt.want)
		}
	}
}
