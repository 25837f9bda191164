// Package sdktest runs a robot's sdk.Work in a test the way the operator
// runs it in a pod: from RPA_* variables, with a termination log and JSON
// log lines the test can read back.
package sdktest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// Env is what the operator would give the robot's container.
type Env struct {
	// Robot is RPA_ROBOT_NAME; the run is named "<Robot>-test".
	Robot string
	// Trigger is RPA_TRIGGER; empty means Manual.
	Trigger string
	// ScheduledTime, when set, is RPA_SCHEDULED_TIME.
	ScheduledTime time.Time
	// Args become RPA_ARG_<NAME>.
	Args map[string]string
	// CredentialsDir is RPA_CREDENTIALS_DIR.
	CredentialsDir string
	// BusinessExceptionExitCode is RPA_BUSINESS_EXCEPTION_EXIT_CODE; zero
	// means 3.
	BusinessExceptionExitCode int
}

// Outcome is how a run ended, as the operator and a person would see it.
type Outcome struct {
	ExitCode int
	// Result is what the robot wrote to its termination log.
	Result sdk.Result
	// Log is the robot's stdout, JSON lines.
	Log string
}

// Lines returns the log lines whose "msg" is msg, parsed.
func (o Outcome) Lines(t testing.TB, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(o.Log), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// Environ returns the variables of env as os.Environ would list them, with
// the run file absent and the termination log in dir.
func (env Env) Environ(dir string) []string {
	environ := []string{
		"RPA_RUN_NAME=" + env.Robot + "-test",
		"RPA_ROBOT_NAME=" + env.Robot,
		"RPA_NAMESPACE=test",
		"RPA_TRIGGER=" + orDefault(env.Trigger, "Manual"),
		"RPA_RUN_FILE=" + filepath.Join(dir, "no-run.json"),
		"RPA_CREDENTIALS_DIR=" + orDefault(env.CredentialsDir, filepath.Join(dir, "no-credentials")),
		"RPA_TERMINATION_LOG=" + filepath.Join(dir, "termination-log"),
	}
	if env.BusinessExceptionExitCode != 0 {
		environ = append(environ, fmt.Sprintf("RPA_BUSINESS_EXCEPTION_EXIT_CODE=%d", env.BusinessExceptionExitCode))
	}
	if !env.ScheduledTime.IsZero() {
		environ = append(environ, "RPA_SCHEDULED_TIME="+env.ScheduledTime.UTC().Format(time.RFC3339))
	}
	for name, v := range env.Args {
		environ = append(environ, sdk.ArgumentEnvPrefix+strings.ToUpper(name)+"="+v)
	}
	return environ
}

// Execute runs work under env with ctx, as sdk.Main would in a pod.
func Execute(t testing.TB, ctx context.Context, env Env, work sdk.Work) Outcome {
	t.Helper()
	dir := t.TempDir()
	run, err := sdk.LoadRun(env.Environ(dir))
	if err != nil {
		t.Fatalf("load run: %v", err)
	}
	var log bytes.Buffer
	code := sdk.Execute(ctx, run, sdk.NewLogger(&log, run), work)
	out := Outcome{ExitCode: code, Log: log.String()}
	data, err := os.ReadFile(run.TerminationLog)
	if err != nil {
		t.Fatalf("the robot wrote no result: %v", err)
	}
	if err := json.Unmarshal(data, &out.Result); err != nil {
		t.Fatalf("the result is not JSON: %s", data)
	}
	return out
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
