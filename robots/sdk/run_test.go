package sdk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadRunReadsVariablesAndRunFile(t *testing.T) {
	dir := t.TempDir()
	runFile := filepath.Join(dir, "run.json")
	if err := os.WriteFile(runFile, []byte(`{"runName":"welcome-letters-weekdays-29183","namespace":"roskilde","robot":"welcome-letters",
		"trigger":{"type":"Schedule","schedule":"weekdays","scheduledTime":"2025-07-01T05:00:00Z"},
		"arguments":{"municipality":"Roskilde","sandboxURL":"http://from-file"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	run, err := LoadRun([]string{
		"RPA_RUN_NAME=welcome-letters-weekdays-29183",
		"RPA_ROBOT_NAME=welcome-letters",
		"RPA_TRIGGER=Schedule",
		"RPA_SCHEDULED_TIME=2025-07-01T05:00:00Z",
		"RPA_RUN_FILE=" + runFile,
		"RPA_CREDENTIALS_DIR=" + dir,
		"RPA_BUSINESS_EXCEPTION_EXIT_CODE=7",
		"RPA_ARG_SANDBOXURL=http://from-env",
		"RPA_CREDENTIAL_DIGITAL_POST_password=never-an-argument",
		"RPA_TERMINATION_LOG=" + filepath.Join(dir, "result"),
	})
	if err != nil {
		t.Fatal(err)
	}
	wantTime := time.Date(2025, time.July, 1, 5, 0, 0, 0, time.UTC)
	checks := []struct {
		name      string
		got, want any
	}{
		{"name", run.Name, "welcome-letters-weekdays-29183"},
		{"robot", run.Robot, "welcome-letters"},
		{"namespace from the run file", run.Namespace, "roskilde"},
		{"trigger", run.Trigger.Type, "Schedule"},
		{"schedule from the run file", run.Trigger.Schedule, "weekdays"},
		{"scheduled time", run.Trigger.ScheduledTime.Equal(wantTime), true},
		{"business exception code", run.BusinessExceptionExitCode, 7},
		{"argument from the variable wins", mustString(run.Args, "sandboxURL"), "http://from-env"},
		{"argument only in the run file", mustString(run.Args, "municipality"), "Roskilde"},
		{"credential variables are not arguments", strings.Join(run.Args.Names(), ","), "MUNICIPALITY,SANDBOXURL"},
		{"termination log", run.TerminationLog, filepath.Join(dir, "result")},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadRunOutsideAPodUsesDefaults(t *testing.T) {
	run, err := LoadRun([]string{"RPA_RUN_FILE=" + filepath.Join(t.TempDir(), "absent.json")})
	if err != nil {
		t.Fatal(err)
	}
	if run.BusinessExceptionExitCode != 3 || run.TerminationLog != TerminationMessagePath || run.Credentials.Dir != DefaultCredentialsDir {
		t.Errorf("defaults not applied: %+v", run)
	}
	now := time.Date(2025, time.March, 30, 1, 30, 0, 0, time.UTC)
	if got := run.Trigger.Time(now); !got.Equal(now) {
		t.Errorf("Trigger.Time of a manual run = %v, want now", got)
	}
}

func TestLoadRunRejectsWhatItCannotRead(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "run.json")
	if err := os.WriteFile(bad, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, env, wantText string
	}{
		{"exit code not a number", "RPA_BUSINESS_EXCEPTION_EXIT_CODE=three", "not an exit code"},
		{"exit code out of range", "RPA_BUSINESS_EXCEPTION_EXIT_CODE=256", "not an exit code"},
		{"scheduled time not RFC 3339", "RPA_SCHEDULED_TIME=tomorrow", "RPA_SCHEDULED_TIME"},
		{"run file not JSON", "RPA_RUN_FILE=" + bad, "parse run file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadRun([]string{"RPA_RUN_FILE=/nonexistent/run.json", tt.env})
			if err == nil || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("err = %v, want one containing %q", err, tt.wantText)
			}
		})
	}
}

func mustString(a Arguments, name string) string {
	v, _ := a.String(name)
	return v
}
