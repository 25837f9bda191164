package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExecuteReportsTheRun(t *testing.T) {
	tests := []struct {
		name       string
		work       Work
		wantCode   int
		wantResult Result
		wantFinish string
	}{
		{
			name: "success",
			work: func(context.Context, *Run, *slog.Logger) (Result, error) {
				return Tally{Processed: 2, Succeeded: 1, BusinessExceptions: 1}.Result("2 letters"), nil
			},
			wantCode:   0,
			wantResult: Result{ItemsProcessed: 2, ItemsSucceeded: 1, BusinessExceptions: 1, Summary: "2 letters"},
			wantFinish: "INFO",
		},
		{
			name: "business exception for the run",
			work: func(context.Context, *Run, *slog.Logger) (Result, error) {
				return Tally{Processed: 1, BusinessExceptions: 1}.Result("1 certificate journaled"), BusinessExceptionf("1 certificate for HR")
			},
			wantCode:   5,
			wantResult: Result{ItemsProcessed: 1, BusinessExceptions: 1, Summary: "1 certificate journaled; business exception: 1 certificate for HR"},
			wantFinish: "WARN",
		},
		{
			name: "argument missing",
			work: func(_ context.Context, run *Run, _ *slog.Logger) (Result, error) {
				_, err := run.Args.String("batch")
				return Result{}, err
			},
			wantCode:   64,
			wantResult: Result{Summary: "argument batch (RPA_ARG_BATCH) is not set: pass it on the RobotRun or give the Robot's parameter a default"},
			wantFinish: "ERROR",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			run, err := LoadRun([]string{
				"RPA_RUN_NAME=run-1", "RPA_ROBOT_NAME=robot-1", "RPA_BUSINESS_EXCEPTION_EXIT_CODE=5",
				"RPA_RUN_FILE=" + filepath.Join(dir, "none"), "RPA_TERMINATION_LOG=" + filepath.Join(dir, "result"),
			})
			if err != nil {
				t.Fatal(err)
			}
			var logged bytes.Buffer
			code := Execute(context.Background(), run, NewLogger(&logged, run), tt.work)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d", code, tt.wantCode)
			}
			data, err := os.ReadFile(run.TerminationLog)
			if err != nil {
				t.Fatal(err)
			}
			var got Result
			if err := json.Unmarshal(data, &got); err != nil || got != tt.wantResult {
				t.Errorf("result %s, want %+v", data, tt.wantResult)
			}
			lines := logLines(t, &logged)
			if len(lines) != 2 || lines[0]["msg"] != "robot started" || lines[1]["msg"] != "robot finished" || lines[1]["level"] != tt.wantFinish {
				t.Errorf("log %v, want started and finished at %s", lines, tt.wantFinish)
			}
			for _, l := range lines {
				if l["run"] != "run-1" || l["robot"] != "robot-1" {
					t.Errorf("line without run and robot: %v", l)
				}
			}
		})
	}
}

func TestExecuteLogsCredentialNamesNeverValues(t *testing.T) {
	dir := credentialsDir(t, map[string]string{"esdh/username": "robot", "esdh/password": password})
	run, err := LoadRun([]string{
		"RPA_CREDENTIALS_DIR=" + dir, "RPA_RUN_FILE=" + filepath.Join(dir, "none"),
		"RPA_TERMINATION_LOG=" + filepath.Join(t.TempDir(), "result"),
		"RPA_CREDENTIAL_ESDH_password=" + password,
	})
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	Execute(context.Background(), run, NewLogger(&logged, run), func(_ context.Context, run *Run, log *slog.Logger) (Result, error) {
		account, err := run.Credentials.Account("esdh")
		log.Info("logging in", "account", account, "password", account.Password)
		return Result{}, err
	})
	if strings.Contains(logged.String(), password) {
		t.Errorf("the password reached the log:\n%s", logged.String())
	}
	if !strings.Contains(logged.String(), `"credentials":["esdh"]`) {
		t.Errorf("the credential's name is not logged:\n%s", logged.String())
	}
}
