package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox/sandboxtest"
	"github.com/rpa-operator/rpa-operator/robots/sdk"
	"github.com/rpa-operator/rpa-operator/robots/sdk/sdktest"
)

func TestReportsEverySystemAndFailsWhenOneIsDown(t *testing.T) {
	tests := []struct {
		name        string
		systems     []sandbox.System
		args        map[string]string
		wantCode    int
		wantResult  sdk.Result
		wantSummary []string
	}{
		{
			name:        "all up",
			systems:     []sandbox.System{{Name: "sbsys", Up: true}, {Name: "acadre", Up: true}},
			args:        map[string]string{"systems": "sbsys,acadre"},
			wantCode:    0,
			wantResult:  sdk.Result{ItemsProcessed: 2, ItemsSucceeded: 2},
			wantSummary: []string{"2 of 2 systems up: sbsys up ", "; acadre up "},
		},
		{
			name:        "one down fails the run, the others are still checked",
			systems:     []sandbox.System{{Name: "sbsys", Up: false}, {Name: "opus", Up: false}, {Name: "acadre", Up: true}},
			args:        map[string]string{"systems": "sbsys,opus,acadre"},
			wantCode:    1,
			wantResult:  sdk.Result{ItemsProcessed: 3, ItemsSucceeded: 1, ItemsFailed: 2},
			wantSummary: []string{"1 of 3 systems up: ", "sbsys DOWN (503 Service Unavailable, ", "opus DOWN (503 Service Unavailable, ", "acadre up "},
		},
		{
			name:        "slow is up, and says so",
			systems:     []sandbox.System{{Name: "kmd-sag", Up: true, Latency: 30 * time.Millisecond}},
			args:        map[string]string{"systems": "kmd-sag", "slowAfter": "10ms"},
			wantCode:    0,
			wantResult:  sdk.Result{ItemsProcessed: 1, ItemsSucceeded: 1},
			wantSummary: []string{"1 of 1 systems up: kmd-sag SLOW "},
		},
		{
			name:        "no answer within the timeout is down",
			systems:     []sandbox.System{{Name: "kmd-sag", Up: true, Latency: 2 * time.Second}},
			args:        map[string]string{"systems": "kmd-sag", "timeout": "30ms"},
			wantCode:    1,
			wantResult:  sdk.Result{ItemsProcessed: 1, ItemsFailed: 1},
			wantSummary: []string{"kmd-sag DOWN (no answer within 30ms, "},
		},
		{
			name:        "an unknown system is down",
			systems:     []sandbox.System{},
			args:        map[string]string{"systems": "esdh"},
			wantCode:    1,
			wantResult:  sdk.Result{ItemsProcessed: 1, ItemsFailed: 1},
			wantSummary: []string{"esdh DOWN (404 Not Found, "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := sandboxtest.New(t, sandbox.Config{Systems: tt.systems})
			out := sdktest.Execute(t, context.Background(), env(t, sb, tt.args), robot{}.work)
			got := out.Result
			got.Summary = ""
			if out.ExitCode != tt.wantCode || got != tt.wantResult {
				t.Errorf("exit %d, result %+v; want %d, %+v", out.ExitCode, out.Result, tt.wantCode, tt.wantResult)
			}
			for _, part := range tt.wantSummary {
				if !strings.Contains(out.Result.Summary, part) {
					t.Errorf("summary %q lacks %q", out.Result.Summary, part)
				}
			}
			if n := len(out.Lines(t, "system checked")); int64(n) != tt.wantResult.ItemsProcessed {
				t.Errorf("%d measurements logged, want one per system", n)
			}
		})
	}
}

func TestSystemWithItsOwnURL(t *testing.T) {
	sb := sandboxtest.New(t, sandbox.Config{Systems: []sandbox.System{{Name: "sbsys", Up: true}}})
	out := sdktest.Execute(t, context.Background(), env(t, sb, map[string]string{"systems": "intranet=" + sb.URL + "/healthz"}), robot{}.work)
	if out.ExitCode != 0 || !strings.Contains(out.Result.Summary, "intranet up ") {
		t.Errorf("exit %d, summary %q", out.ExitCode, out.Result.Summary)
	}
	if sb.State().SystemChecks != 0 {
		t.Error("the check went to the sandbox's systems instead of the given URL")
	}
}

func TestBadArgumentsExitWithUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     map[string]string
		wantText string
	}{
		{"system URL not a URL", map[string]string{"systems": "sbsys,intranet=ftp://intranet"}, `argument systems (RPA_ARG_SYSTEMS) "intranet=ftp://intranet": system intranet: "ftp://intranet" is not an http:// or https:// URL`},
		{"empty system name", map[string]string{"systems": "=http://x"}, "an entry without a system name"},
		{"bad timeout", map[string]string{"timeout": "ten seconds"}, "argument timeout (RPA_ARG_TIMEOUT)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := sandboxtest.New(t, sandbox.Config{})
			out := sdktest.Execute(t, context.Background(), env(t, sb, tt.args), robot{}.work)
			if out.ExitCode != sdk.ExitUsage || !strings.Contains(out.Result.Summary, tt.wantText) {
				t.Errorf("exit %d, summary %q; want 64 and %q", out.ExitCode, out.Result.Summary, tt.wantText)
			}
		})
	}
}

func TestMeasurementReads(t *testing.T) {
	tests := []struct {
		m    measurement
		want string
	}{
		{measurement{system: "sbsys", status: statusUp, elapsed: 41200 * time.Microsecond}, "sbsys up 41ms"},
		{measurement{system: "kmd-sag", status: statusSlow, elapsed: 2345 * time.Millisecond}, "kmd-sag SLOW 2.345s"},
		{measurement{system: "opus", status: statusDown, elapsed: 12 * time.Millisecond, problem: "503 Service Unavailable"}, "opus DOWN (503 Service Unavailable, 12ms)"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("%q, want %q", got, tt.want)
		}
	}
}

func TestParseTarget(t *testing.T) {
	base, _ := url.Parse("http://sandbox.rpa-sandbox.svc.cluster.local:8080")
	tests := []struct {
		entry, wantName, wantURL string
	}{
		{"sbsys", "sbsys", "http://sandbox.rpa-sandbox.svc.cluster.local:8080/systems/sbsys/health"},
		{" opus = https://opus.aalborg.dk/ping ", "opus", "https://opus.aalborg.dk/ping"},
	}
	for _, tt := range tests {
		got, err := parseTarget(tt.entry, base)
		if err != nil || got.name != tt.wantName || got.url.String() != tt.wantURL {
			t.Errorf("parseTarget(%q) = %s %v, %v", tt.entry, got.name, got.url, err)
		}
	}
}

func env(t *testing.T, sb *sandboxtest.Sandbox, args map[string]string) sdktest.Env {
	all := map[string]string{"sandboxURL": sb.URL}
	for k, v := range args {
		all[k] = v
	}
	return sdktest.Env{
		Robot:          "system-monitor",
		Trigger:        "Schedule",
		Args:           all,
		CredentialsDir: sandboxtest.Credentials(t, map[string]map[string]string{"monitor": {"username": "robot-monitor", "password": "x"}}),
	}
}
