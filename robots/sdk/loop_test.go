package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// outcomes scripts a Loop's Handle: what each item returns.
type script map[int]error

var (
	errESDHDown = errors.New("ESDH answered 503")
	protected   = BusinessExceptionf("name and address protection")
)

func TestLoopCountsOutcomes(t *testing.T) {
	tests := []struct {
		name        string
		items       int
		script      script
		maxFailures int
		want        Tally
		wantErr     string
	}{
		{
			name:  "every item succeeds",
			items: 3,
			want:  Tally{Processed: 3, Succeeded: 3},
		},
		{
			name:   "business exceptions and failures do not stop the loop",
			items:  6,
			script: script{2: protected, 4: errESDHDown},
			want:   Tally{Processed: 6, Succeeded: 4, Failed: 1, BusinessExceptions: 1},
		},
		{
			name:    "three failures in a row give up",
			items:   6,
			script:  script{2: errESDHDown, 3: errESDHDown, 4: errESDHDown},
			want:    Tally{Processed: 4, Succeeded: 1, Failed: 3, Remaining: 2},
			wantErr: "gave up after 3 items in a row failed, 2 left for the next run; the last: ESDH answered 503",
		},
		{
			name:   "a business exception breaks a run of failures",
			items:  5,
			script: script{1: errESDHDown, 2: errESDHDown, 3: protected, 4: errESDHDown},
			want:   Tally{Processed: 5, Succeeded: 1, Failed: 3, BusinessExceptions: 1},
		},
		{
			name:        "negative MaxConsecutiveFailures never gives up",
			items:       4,
			script:      script{1: errESDHDown, 2: errESDHDown, 3: errESDHDown, 4: errESDHDown},
			maxFailures: -1,
			want:        Tally{Processed: 4, Failed: 4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loop := Loop[int]{
				Ref:                    itemRef,
				MaxConsecutiveFailures: tt.maxFailures,
				Handle: func(_ context.Context, _ *slog.Logger, item int) error {
					return tt.script[item]
				},
			}
			got, err := loop.Process(context.Background(), numbers(tt.items))
			if got != tt.want {
				t.Errorf("tally = %+v, want %+v", got, tt.want)
			}
			if errText(err) != tt.wantErr {
				t.Errorf("err = %q, want %q", errText(err), tt.wantErr)
			}
		})
	}
}

func TestLoopFinishesTheItemInHandOnSIGTERM(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var handled []int
	loop := Loop[int]{
		Ref: itemRef,
		Handle: func(itemCtx context.Context, _ *slog.Logger, item int) error {
			if item == 2 {
				cancel(SIGTERM)
				if itemCtx.Err() != nil {
					return errors.New("the item's context ended with the run's: it cannot finish")
				}
			}
			handled = append(handled, item)
			return nil
		},
	}
	got, err := loop.Process(ctx, numbers(5))
	if want := (Tally{Processed: 2, Succeeded: 2, Remaining: 3}); got != want {
		t.Errorf("tally = %+v, want %+v", got, want)
	}
	if fmt.Sprint(handled) != "[1 2]" {
		t.Errorf("handled %v, want [1 2]: item 2 finished, nothing after it started", handled)
	}
	if code := ExitCode(3, got.Result(""), err); code != 143 {
		t.Errorf("exit code %d (err %v), want 143", code, err)
	}
	if want := "stopped by SIGTERM after 2 items, 3 left for the next run"; errText(err) != want {
		t.Errorf("err = %q, want %q", errText(err), want)
	}
}

func TestLoopReleasesAnItemThatCannotFinishInTime(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	var logged bytes.Buffer
	loop := Loop[int]{
		Log:          slog.New(slog.NewJSONHandler(&logged, nil)),
		Ref:          itemRef,
		FinishWithin: 20 * time.Millisecond,
		Handle: func(itemCtx context.Context, _ *slog.Logger, item int) error {
			if item < 2 {
				return nil
			}
			// Waiting for a Retry-After longer than the grace period.
			cancel(SIGTERM)
			<-itemCtx.Done()
			return fmt.Errorf("wait to retry: %w", context.Cause(itemCtx))
		},
	}
	got, err := loop.Process(ctx, numbers(3))
	if want := (Tally{Processed: 1, Succeeded: 1, Remaining: 2}); got != want {
		t.Errorf("tally = %+v, want %+v: a released item is neither processed nor failed", got, want)
	}
	if code := ExitCode(3, got.Result(""), err); code != 143 {
		t.Errorf("exit code %d (err %v), want 143", code, err)
	}
	lines := logLines(t, &logged)
	if len(lines) != 2 || lines[1]["item"] != "ITEM-2" || lines[1]["outcome"] != OutcomeReleased {
		t.Errorf("log lines %v, want ITEM-1 succeeded and ITEM-2 released", lines)
	}
	if !strings.Contains(fmt.Sprint(lines[1]["error"]), "did not finish within 20ms") {
		t.Errorf("release logged with error %q, want the reason", lines[1]["error"])
	}
}

func TestLoopStoppedDuringTheLastItemHasDoneEverything(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	loop := Loop[int]{Ref: itemRef, Handle: func(_ context.Context, _ *slog.Logger, item int) error {
		if item == 2 {
			cancel(SIGTERM)
		}
		return nil
	}}
	got, err := loop.Process(ctx, numbers(2))
	if err != nil || got != (Tally{Processed: 2, Succeeded: 2}) {
		t.Errorf("tally %+v, err %v; want both items done and no error", got, err)
	}
}

func TestLoopLogsEachItemWithItsReference(t *testing.T) {
	var logged bytes.Buffer
	loop := Loop[int]{
		Log: slog.New(slog.NewJSONHandler(&logged, nil)).With(LogKeyRun, "run-1"),
		Ref: itemRef,
		Handle: func(_ context.Context, log *slog.Logger, item int) error {
			log.Info("working")
			return script{2: protected, 3: errESDHDown}[item]
		},
	}
	if _, err := loop.Process(context.Background(), numbers(3)); err != nil {
		t.Fatal(err)
	}
	lines := logLines(t, &logged)
	got := make([]string, 0, len(lines))
	for _, l := range lines {
		if l["run"] != "run-1" {
			t.Errorf("line without the run's name: %v", l)
		}
		got = append(got, fmt.Sprintf("%s %s %s %v", l["level"], l["item"], l["msg"], l["outcome"]))
	}
	want := []string{
		"INFO ITEM-1 working <nil>", "INFO ITEM-1 item finished succeeded",
		"INFO ITEM-2 working <nil>", "WARN ITEM-2 item finished business-exception",
		"INFO ITEM-3 working <nil>", "ERROR ITEM-3 item finished failed",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func numbers(n int) []int {
	items := make([]int, n)
	for i := range items {
		items[i] = i + 1
	}
	return items
}

func itemRef(i int) string { return fmt.Sprintf("ITEM-%d", i) }

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		lines = append(lines, m)
	}
	return lines
}
