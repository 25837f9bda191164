package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox"
)

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(options) string
		wantErr string
	}{
		{
			name: "defaults",
			check: func(o options) string {
				if o.addr != ":8080" || o.config.Seed != 1 || o.config.MoveIns != 30 || len(o.config.Systems) != 5 {
					return fmt.Sprintf("%s %+v", o.addr, o.config)
				}
				return ""
			},
		},
		{
			name: "variables",
			env:  map[string]string{"SANDBOX_SEED": "7", "SANDBOX_MOVE_INS": "500", "SANDBOX_JOURNAL_RATE": "0.5"},
			check: func(o options) string {
				if o.config.Seed != 7 || o.config.MoveIns != 500 || o.config.JournalRate != 0.5 {
					return fmt.Sprintf("%+v", o.config)
				}
				return ""
			},
		},
		{
			name: "flags win over variables",
			args: []string{"-move-ins=3", "-systems=sbsys=40ms, opus:down"},
			env:  map[string]string{"SANDBOX_MOVE_INS": "500"},
			check: func(o options) string {
				want := []sandbox.System{{Name: "sbsys", Up: true, Latency: 40 * time.Millisecond}, {Name: "opus"}}
				if o.config.MoveIns != 3 || fmt.Sprint(o.config.Systems) != fmt.Sprint(want) {
					return fmt.Sprintf("%+v", o.config)
				}
				return ""
			},
		},
		{name: "bad variable", env: map[string]string{"SANDBOX_SEED": "many"}, wantErr: `SANDBOX_SEED="many": not a number`},
		{name: "negative count", args: []string{"-certificates=-1"}, wantErr: "not negative"},
		{name: "bad latency", args: []string{"-systems=sbsys=fast"}, wantErr: `latency "fast"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseOptions(tt.args, func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if problem := tt.check(o); problem != "" {
				t.Errorf("options %s", problem)
			}
		})
	}
}

func TestServeStopsGracefully(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	opts, err := parseOptions([]string{"-addr=" + addr, "-move-ins=1"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, slog.New(slog.DiscardHandler), opts) }()
	waitForGet(t, "http://"+addr+"/healthz")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after its context ended")
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestServeWithTheMailbox: with a password the sandbox serves SMTP and
// IMAP beside its endpoints, and /mail/state says what arrived.
func TestServeWithTheMailbox(t *testing.T) {
	addr, smtpAddr, imapAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	env := map[string]string{"SANDBOX_MAIL_PASSWORD": "Vinter2026!"}
	opts, err := parseOptions([]string{"-addr=" + addr, "-smtp-addr=" + smtpAddr, "-imap-addr=" + imapAddr, "-move-ins=1"},
		func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, slog.New(slog.DiscardHandler), opts) }()
	body := waitForGet(t, "http://"+addr+"/mail/state")
	if got := strings.TrimSpace(string(body)); got != `{"delivered":0,"folders":{"INBOX":0,"Processed":0},"forwarded":0,"forwardDuplicates":0}` {
		t.Errorf("GET /mail/state: %s", got)
	}
	// The sample mails go through the sandbox's own SMTP server.
	resp, err := http.Post("http://"+addr+"/mail/samples", "application/json", strings.NewReader(`{"count": 5}`))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /mail/samples: %v %v", resp, err)
	}
	_ = resp.Body.Close()
	if got := strings.TrimSpace(string(waitForGet(t, "http://"+addr+"/mail/state"))); got != `{"delivered":5,"folders":{"INBOX":5,"Processed":0},"forwarded":0,"forwardDuplicates":0}` {
		t.Errorf("GET /mail/state after 5 samples: %s", got)
	}
	conn, err := net.Dial("tcp", imapAddr)
	if err != nil {
		t.Fatalf("IMAP: %v", err)
	}
	greeting := make([]byte, 4)
	if _, err := io.ReadFull(conn, greeting); err != nil || string(greeting) != "* OK" {
		t.Errorf("IMAP greeting %q, %v", greeting, err)
	}
	conn.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after its context ended")
	}
}

// waitForGet gets url once the sandbox answers (at most 5 s), and returns
// the body.
func waitForGet(t *testing.T, url string) []byte {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("sandbox not answering: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
