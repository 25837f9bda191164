package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// setup makes a run file and a credential in a temp dir and returns the
// environment a pod would have.
func setup(t *testing.T, args map[string]string) (map[string]string, string) {
	t.Helper()
	dir := t.TempDir()
	runFile := filepath.Join(dir, "run.json")
	if err := os.WriteFile(runFile, []byte(`{"runName":"r1","robot":"bot","arguments":{"mode":"x"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cred := filepath.Join(dir, "credentials", "esdh")
	if err := os.MkdirAll(cred, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cred, "password"), []byte("hemmeligt-kodeord"), 0o444); err != nil {
		t.Fatal(err)
	}
	term := filepath.Join(dir, "termination-log")
	env := map[string]string{
		"RPA_RUN_NAME": "r1", "RPA_ROBOT_NAME": "bot", "RPA_TRIGGER": "Manual",
		"RPA_RUN_FILE": runFile, "RPA_CREDENTIALS_DIR": filepath.Join(dir, "credentials"),
		"RPA_TERMINATION_LOG": term, "RPA_BUSINESS_EXCEPTION_EXIT_CODE": "3",
	}
	for k, v := range args {
		env["RPA_ARG_"+strings.ToUpper(k)] = v
	}
	return env, term
}

func runWith(ctx context.Context, env map[string]string) (int, string) {
	c := configFromEnv(func(k string) string { return env[k] })
	for k, v := range env {
		c.env = append(c.env, k+"="+v)
	}
	var out bytes.Buffer
	code := run(ctx, c, &out)
	return code, out.String()
}

func readResult(t *testing.T, path string) *sdk.Result {
	t.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	var r sdk.Result
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("result %q: %v", data, err)
	}
	return &r
}

func TestModes(t *testing.T) {
	tests := []struct {
		name       string
		args       map[string]string
		wantCode   int
		wantItems  int64
		wantResult bool
		wantLog    string
	}{
		{name: "succeed", args: map[string]string{"items": "5"}, wantCode: 0, wantItems: 5, wantResult: true, wantLog: "RPA_ARG_ITEMS"},
		{name: "business exception exits with the contract's code", args: map[string]string{"mode": "business-exception"}, wantCode: 3, wantItems: 3, wantResult: true},
		{name: "system exception", args: map[string]string{"mode": "system-exception"}, wantCode: 1, wantItems: 3, wantResult: true},
		{name: "crash without a result leaves a log tail", args: map[string]string{"mode": "crash-without-result"}, wantCode: 1, wantLog: "ERROR: lost the connection"},
		{name: "leak-credentials prints the password and crashes", args: map[string]string{"mode": "leak-credentials"}, wantCode: 1, wantLog: "esdh/password=hemmeligt-kodeord"},
		{name: "short sleep then success", args: map[string]string{"mode": "sleep", "sleep": "10ms"}, wantCode: 0, wantItems: 3, wantResult: true},
		{name: "bad argument is a usage error", args: map[string]string{"items": "many"}, wantCode: exitUsage, wantLog: "not a whole number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, term := setup(t, tt.args)
			code, logs := runWith(context.Background(), env)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d; log:\n%s", code, tt.wantCode, logs)
			}
			result := readResult(t, term)
			if (result != nil) != tt.wantResult {
				t.Fatalf("result %+v, want present %v", result, tt.wantResult)
			}
			if result != nil && result.ItemsProcessed != tt.wantItems {
				t.Errorf("items %d, want %d", result.ItemsProcessed, tt.wantItems)
			}
			if !strings.Contains(logs, tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, logs)
			}
		})
	}
}

func TestReportsCredentialsByNameNeverByValue(t *testing.T) {
	env, _ := setup(t, nil)
	env["RPA_CREDENTIAL_ESDH_password"] = "hemmeligt-kodeord"
	_, logs := runWith(context.Background(), env)
	if !strings.Contains(logs, `"password"`) || !strings.Contains(logs, `"esdh"`) {
		t.Errorf("credential not reported by name:\n%s", logs)
	}
	if strings.Contains(logs, "hemmeligt-kodeord") {
		t.Errorf("credential value in the log:\n%s", logs)
	}
	if !strings.Contains(logs, `"runName":"r1"`) {
		t.Errorf("run file not reported:\n%s", logs)
	}
}

func TestSIGTERMStopsTheSleepAndReports(t *testing.T) {
	env, term := setup(t, map[string]string{"mode": "sleep", "sleep": "1h"})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	code, _ := runWith(ctx, env)
	if code != exitStopped {
		t.Errorf("exit code %d, want %d", code, exitStopped)
	}
	if r := readResult(t, term); r == nil || !strings.Contains(r.Summary, "stopped by SIGTERM") {
		t.Errorf("result %+v", r)
	}
}
