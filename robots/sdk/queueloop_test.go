package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
	"github.com/rpa-operator/rpa-operator/robots/sdk/sdktest"
)

var (
	errDigitalPostDown = errors.New("answered 503 by Digital Post")
	noMailbox          = sdk.BusinessExceptionf("the owner has no Digital Post mailbox")
)

// TestProcessQueueTakesAtMostLimitItems: a run with a limit takes that
// many items and leaves the rest New; every item it took counts, however
// it ended.
func TestProcessQueueTakesAtMostLimitItems(t *testing.T) {
	tests := []struct {
		name  string
		items int
		limit int
		// outcomes scripts Handle by reference; missing means success.
		outcomes  map[string]error
		want      sdk.Tally
		wantNew   int
		wantState map[string]string
	}{
		{
			name:  "no limit takes every item",
			items: 5,
			want:  sdk.Tally{Processed: 5, Succeeded: 5},
		},
		{
			name:    "a limit leaves the rest waiting",
			items:   5,
			limit:   2,
			want:    sdk.Tally{Processed: 2, Succeeded: 2},
			wantNew: 3,
		},
		{
			name:  "a limit above the queue's length takes what there is",
			items: 3,
			limit: 40,
			want:  sdk.Tally{Processed: 3, Succeeded: 3},
		},
		{
			name:      "business exceptions and failures count towards the limit",
			items:     6,
			limit:     4,
			outcomes:  map[string]error{"ITEM-2": noMailbox, "ITEM-3": errDigitalPostDown},
			want:      sdk.Tally{Processed: 4, Succeeded: 2, Failed: 1, BusinessExceptions: 1},
			wantNew:   3, // the failed one waits out its backoff as New, and 2 were never taken
			wantState: map[string]string{"ITEM-2": sdktest.StateBusinessException, "ITEM-3": sdktest.StateNew, "ITEM-5": sdktest.StateNew},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := sdktest.NewQueue(t, "oil-tanks", sdktest.QueueOptions{UniqueReferences: true})
			for i := 1; i <= tt.items; i++ {
				q.Add(t, fmt.Sprintf("ITEM-%d", i), map[string]int{"n": i})
			}
			loop := sdk.Loop[*sdk.WorkItem]{
				Limit: tt.limit,
				Handle: func(_ context.Context, _ *slog.Logger, item *sdk.WorkItem) error {
					return tt.outcomes[item.Reference]
				},
			}
			got, err := sdk.ProcessQueue(context.Background(), q.Pod("robot-1"), loop)
			if err != nil {
				t.Fatalf("ProcessQueue: %v", err)
			}
			if got != tt.want {
				t.Errorf("tally = %+v, want %+v", got, tt.want)
			}
			if n := q.Count(sdktest.StateNew); n != tt.wantNew {
				t.Errorf("%d items New, want %d", n, tt.wantNew)
			}
			if n := q.Count(sdktest.StateInProgress); n != 0 {
				t.Errorf("%d items still held after the run", n)
			}
			for _, it := range q.Items() {
				if want, ok := tt.wantState[it.Reference]; ok && it.State != want {
					t.Errorf("%s is %s, want %s", it.Reference, it.State, want)
				}
			}
		})
	}
}

// TestProcessQueueStoppedDuringTheLastAllowedItemHasDoneEverything:
// SIGTERM while the last item the limit allows is in hand: the item is
// finished and the run has done what it was asked, as Process does for
// the last item of a list.
func TestProcessQueueStoppedDuringTheLastAllowedItemHasDoneEverything(t *testing.T) {
	tests := []struct {
		name     string
		stopAt   string
		want     sdk.Tally
		wantStop bool
		wantDone int
	}{
		{"stopped during the last allowed item", "ITEM-2", sdk.Tally{Processed: 2, Succeeded: 2}, false, 2},
		{"stopped before the limit", "ITEM-1", sdk.Tally{Processed: 1, Succeeded: 1}, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := sdktest.NewQueue(t, "oil-tanks", sdktest.QueueOptions{})
			for i := 1; i <= 4; i++ {
				q.Add(t, fmt.Sprintf("ITEM-%d", i), map[string]int{"n": i})
			}
			ctx, stop := context.WithCancelCause(context.Background())
			defer stop(nil)
			loop := sdk.Loop[*sdk.WorkItem]{
				Limit: 2,
				Handle: func(_ context.Context, _ *slog.Logger, item *sdk.WorkItem) error {
					if item.Reference == tt.stopAt {
						stop(sdk.SIGTERM)
					}
					return nil
				},
			}
			got, err := sdk.ProcessQueue(ctx, q.Pod("robot-1"), loop)
			if got != tt.want {
				t.Errorf("tally = %+v, want %+v", got, tt.want)
			}
			if errors.Is(err, sdk.SIGTERM) != tt.wantStop {
				t.Errorf("err = %v, want the stop reported: %v", err, tt.wantStop)
			}
			if done, waiting := q.Count(sdktest.StateDone), q.Count(sdktest.StateNew); done != tt.wantDone || waiting != 4-tt.wantDone {
				t.Errorf("%d done and %d New, want %d and %d", done, waiting, tt.wantDone, 4-tt.wantDone)
			}
		})
	}
}

// TestProcessLimitsAList: Process handles the first Limit items of a list
// and counts the rest as remaining.
func TestProcessLimitsAList(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		want  sdk.Tally
	}{
		{"no limit", 0, sdk.Tally{Processed: 5, Succeeded: 5}},
		{"limit 3 of 5", 3, sdk.Tally{Processed: 3, Succeeded: 3, Remaining: 2}},
		{"limit above the list", 9, sdk.Tally{Processed: 5, Succeeded: 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var handled []int
			loop := sdk.Loop[int]{
				Limit: tt.limit,
				Ref:   func(i int) string { return fmt.Sprint(i) },
				Handle: func(_ context.Context, _ *slog.Logger, i int) error {
					handled = append(handled, i)
					return nil
				},
			}
			got, err := loop.Process(context.Background(), []int{1, 2, 3, 4, 5})
			if err != nil || got != tt.want {
				t.Errorf("tally %+v, err %v; want %+v", got, err, tt.want)
			}
			if int64(len(handled)) != tt.want.Processed || handled[0] != 1 {
				t.Errorf("handled %v, want the first %d", handled, tt.want.Processed)
			}
		})
	}
}

// TestQueueGivesAStoppedPodsItemToTheNextPod: what a robot relies on after
// a SIGKILL (sdktest.Queue plays rpa-server's rule): the item goes back to
// New, its attempt counted, and the next pod gets it first as attempt 2,
// while the stopped pod can report nothing.
func TestQueueGivesAStoppedPodsItemToTheNextPod(t *testing.T) {
	q := sdktest.NewQueue(t, "oil-tanks", sdktest.QueueOptions{UniqueReferences: true})
	q.Add(t, "ITEM-1", map[string]int{"n": 1})
	q.Add(t, "ITEM-2", map[string]int{"n": 2})
	first := q.Pod("robot-1")
	held, err := first.Next(context.Background())
	if err != nil || held == nil || held.Reference != "ITEM-1" || held.Attempt != 1 {
		t.Fatalf("first take: %+v, %v", held, err)
	}
	q.StopPod("robot-1")
	if err := first.Done(context.Background(), held, nil); sdk.StatusOf(err) != 403 {
		t.Errorf("a stopped pod's report: %v, want 403", err)
	}
	again, err := q.Pod("robot-2").Next(context.Background())
	if err != nil || again == nil || again.Reference != "ITEM-1" || again.Attempt != 2 {
		t.Errorf("the next pod's take: %+v, %v; want ITEM-1 as attempt 2", again, err)
	}
	if q.Add(t, "ITEM-1", map[string]int{"n": 1}) {
		t.Error("a known reference was added again")
	}
}
