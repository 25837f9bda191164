package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/rpa-operator/rpa-operator/internal/pgtest"
	"github.com/rpa-operator/rpa-operator/internal/workqueue"
)

// serverURL is the real PostgreSQL the tests run against.
var serverURL string

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &serverURL)) }

var (
	t0         = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	testKey    = []byte("a reference key of at least 32 bytes, for tests")
	robotActor = "system:serviceaccount:hr:certificate-journal"
	caseworker = "anne@aalborg.dk"
)

// fixture is a store on the shared server with its own clock, and a queue
// in a namespace of its own, so tests do not see each other's items.
type fixture struct {
	store *Store
	clock *clocktesting.FakeClock
	queue Queue
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clk := clocktesting.NewFakeClock(t0)
	s, err := Open(context.Background(), serverURL, Options{Clock: clk, ReferenceKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return &fixture{store: s, clock: clk, queue: Queue{Namespace: uniqueName("ns"), Name: "certificates", MaxAttempts: 3}}
}

func uniqueName(prefix string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

func pod(n int) Holder {
	return Holder{Run: fmt.Sprintf("journal-run-%d", n), Pod: fmt.Sprintf("journal-run-%d-pod", n), PodUID: fmt.Sprintf("uid-%d", n)}
}

func payload(ref string) json.RawMessage { return json.RawMessage(`{"certificate":"` + ref + `"}`) }

func (f *fixture) add(t *testing.T, items ...NewItem) []Added {
	t.Helper()
	added, err := f.store.Add(context.Background(), f.queue, caseworker, items)
	if err != nil {
		t.Fatal(err)
	}
	return added
}

func (f *fixture) take(t *testing.T, h Holder) *Item {
	t.Helper()
	it, err := f.store.Take(context.Background(), f.queue, robotActor, h)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func (f *fixture) complete(t *testing.T, id int64, h Holder, o Outcome) *Item {
	t.Helper()
	it, err := f.store.Complete(context.Background(), f.queue, id, robotActor, h, o)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func TestItemsAreTakenByPriorityThenAgeAndDoneWithOutput(t *testing.T) {
	f := newFixture(t)
	f.add(t, NewItem{Reference: "a", Payload: payload("a")})
	f.clock.Step(time.Second)
	f.add(t, NewItem{Reference: "b", Payload: payload("b")}, NewItem{Reference: "urgent", Priority: 5, Payload: payload("u")})

	var order []string
	for {
		it := f.take(t, pod(1))
		if it == nil {
			break
		}
		if it.State != workqueue.InProgress || it.Attempts != 1 || it.Holder == nil || it.Holder.Run != "journal-run-1" {
			t.Fatalf("taken item %+v, want InProgress, attempt 1, held by journal-run-1", it)
		}
		order = append(order, it.Reference)
		done := f.complete(t, it.ID, pod(1), Outcome{Action: workqueue.ActionDone, Output: json.RawMessage(`{"journal":"2026-4711"}`)})
		if done.State != workqueue.Done || done.Holder != nil || done.FinishedAt == nil || string(done.Output) != `{"journal": "2026-4711"}` {
			t.Fatalf("done item %+v (output %s)", done, done.Output)
		}
	}
	if strings.Join(order, ",") != "urgent,a,b" {
		t.Errorf("taken in order %v, want urgent,a,b", order)
	}
}

func TestTheHistoryRecordsWhoDidWhat(t *testing.T) {
	f := newFixture(t)
	id := f.add(t, NewItem{Reference: "cpr-1", Payload: payload("1")})[0].Item.ID
	f.take(t, pod(1))
	f.complete(t, id, pod(1), Outcome{Action: workqueue.ActionBusinessException, Reason: "the certificate has a remark"})
	if _, err := f.store.Handle(context.Background(), f.queue, id, caseworker, "sent to HR by hand"); err != nil {
		t.Fatal(err)
	}
	history, err := f.store.History(context.Background(), f.queue.Namespace, id)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		caseworker + " Add ->New",
		robotActor + "/journal-run-1 Take New->InProgress",
		robotActor + "/journal-run-1 BusinessException InProgress->BusinessException: the certificate has a remark",
		caseworker + " Handle BusinessException->Handled: sent to HR by hand",
	}
	if len(history) != len(want) {
		t.Fatalf("history %+v, want %d entries", history, len(want))
	}
	for i, e := range history {
		got := e.Actor
		if e.Run != "" {
			got += "/" + e.Run
		}
		got += fmt.Sprintf(" %s %s->%s", e.Action, e.From, e.To)
		if e.Detail != "" {
			got += ": " + e.Detail
		}
		if got != want[i] || !e.At.Equal(t0) {
			t.Errorf("entry %d: %q at %s, want %q at %s", i, got, e.At, want[i], t0)
		}
	}
}

func TestASystemExceptionBacksOffThenFailsAfterMaxAttempts(t *testing.T) {
	f := newFixture(t)
	f.queue.MaxAttempts = 2
	id := f.add(t, NewItem{Payload: payload("x")})[0].Item.ID
	f.take(t, pod(1))
	back := f.complete(t, id, pod(1), Outcome{Action: workqueue.ActionSystemException, Reason: "ESDH answered 503"})
	if back.State != workqueue.New || back.DeferUntil == nil || !back.DeferUntil.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("after the first system exception: %+v, want New deferred 10 s", back)
	}
	if it := f.take(t, pod(2)); it != nil {
		t.Fatalf("took item %d during its backoff", it.ID)
	}
	f.clock.Step(10 * time.Second)
	again := f.take(t, pod(2))
	if again == nil || again.ID != id || again.Attempts != 2 {
		t.Fatalf("after the backoff: %+v, want item %d at attempt 2", again, id)
	}
	failed := f.complete(t, id, pod(2), Outcome{Action: workqueue.ActionSystemException, Reason: "ESDH answered 503"})
	if failed.State != workqueue.Failed || failed.FinishedAt == nil || failed.Reason != "ESDH answered 503" {
		t.Errorf("after the last attempt: %+v, want Failed with the reason", failed)
	}
}

func TestAnItemOfAStoppedPodGoesBackAtOnceAndCountsTheAttempt(t *testing.T) {
	f := newFixture(t)
	id := f.add(t, NewItem{Payload: payload("x")})[0].Item.ID
	f.take(t, pod(1))
	policy := func(namespace, queue string) int { return f.queue.MaxAttempts }
	returned, err := f.store.Abandon(context.Background(), pod(1).PodUID, "system:rpa-server", policy)
	if err != nil || len(returned) != 1 {
		t.Fatalf("abandon: %v, %+v", err, returned)
	}
	if it := returned[0]; it.State != workqueue.New || it.DeferUntil != nil || it.Holder != nil ||
		!strings.Contains(it.Reason, "journal-run-1-pod of run journal-run-1 stopped") {
		t.Errorf("returned item %+v, want New at once, held by nobody, saying which pod stopped", it)
	}
	retaken := f.take(t, pod(2))
	if retaken == nil || retaken.ID != id || retaken.Attempts != 2 {
		t.Fatalf("retaken %+v, want item %d at attempt 2: the robot sees a retry", retaken, id)
	}
	if again, _ := f.store.Abandon(context.Background(), pod(1).PodUID, "system:rpa-server", policy); len(again) != 0 {
		t.Errorf("the stopped pod still held %d items", len(again))
	}
	holders, err := f.store.Holders(context.Background())
	if err != nil || !slices.Contains(holders, pod(2).PodUID) || slices.Contains(holders, pod(1).PodUID) {
		t.Errorf("holders %v, %v; want pod 2's and not pod 1's", holders, err)
	}
}

func TestAPersonRetriesWithAnEditedPayloadOrHandlesWithAComment(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ids := make([]int64, 0, 2)
	for _, a := range f.add(t, NewItem{Reference: "1", Payload: payload("1")}, NewItem{Reference: "2", Payload: payload("2")}) {
		ids = append(ids, a.Item.ID)
	}
	for range ids {
		it := f.take(t, pod(1))
		f.complete(t, it.ID, pod(1), Outcome{Action: workqueue.ActionBusinessException, Reason: "address unknown"})
	}
	retried, err := f.store.Retry(ctx, f.queue, ids[0], caseworker, json.RawMessage(`{"certificate":"1","address":"Boulevarden 13"}`), "address looked up")
	if err != nil {
		t.Fatal(err)
	}
	if retried.State != workqueue.New || retried.Attempts != 0 || !strings.Contains(string(retried.Payload), "Boulevarden") || retried.FinishedAt != nil {
		t.Errorf("retried %+v", retried)
	}
	if _, err := f.store.Handle(ctx, f.queue, ids[1], caseworker, ""); !errors.Is(err, workqueue.ErrInvalidItem) {
		t.Errorf("handling without a comment: %v, want ErrInvalidItem", err)
	}
	handled, err := f.store.Handle(ctx, f.queue, ids[1], caseworker, "letter sent by post")
	if err != nil || handled.State != workqueue.Handled || handled.Reason != "letter sent by post" {
		t.Fatalf("handled %+v, %v", handled, err)
	}
	history, _ := f.store.History(ctx, f.queue.Namespace, ids[0])
	last := history[len(history)-1]
	if last.Detail != "payload edited: address looked up" || strings.Contains(last.Detail, "Boulevarden") {
		t.Errorf("retry recorded as %q: it says the payload was edited, never what it holds", last.Detail)
	}
}

// TestRefusedChangesChangeNothing goes through every refusal: each returns
// its error and leaves the item as it was.
func TestRefusedChangesChangeNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	newID := f.add(t, NewItem{Reference: "new", Payload: payload("n")})[0].Item.ID
	f.clock.Step(time.Second)
	heldID := f.add(t, NewItem{Reference: "held", Priority: 9, Payload: payload("h")})[0].Item.ID
	if it := f.take(t, pod(1)); it.ID != heldID {
		t.Fatalf("took %d, want %d", it.ID, heldID)
	}
	other := Queue{Namespace: uniqueName("ns"), Name: f.queue.Name, MaxAttempts: 3}

	tests := []struct {
		name    string
		id      int64
		change  func() error
		wantErr error
	}{
		{"completing an item another pod holds", heldID, func() error {
			_, err := f.store.Complete(ctx, f.queue, heldID, robotActor, pod(2), Outcome{Action: workqueue.ActionDone})
			return err
		}, ErrNotHolder},
		{"completing an item nobody holds", newID, func() error {
			_, err := f.store.Complete(ctx, f.queue, newID, robotActor, pod(1), Outcome{Action: workqueue.ActionDone})
			return err
		}, workqueue.ErrIllegalTransition},
		{"a robot reporting a person's action", heldID, func() error {
			_, err := f.store.Complete(ctx, f.queue, heldID, robotActor, pod(1), Outcome{Action: workqueue.ActionHandle})
			return err
		}, workqueue.ErrIllegalTransition},
		{"output that is not JSON", heldID, func() error {
			_, err := f.store.Complete(ctx, f.queue, heldID, robotActor, pod(1), Outcome{Action: workqueue.ActionDone, Output: json.RawMessage(`{"x":`)})
			return err
		}, workqueue.ErrInvalidItem},
		{"retrying an item in progress", heldID, func() error {
			_, err := f.store.Retry(ctx, f.queue, heldID, caseworker, nil, "")
			return err
		}, workqueue.ErrIllegalTransition},
		{"handling a new item", newID, func() error {
			_, err := f.store.Handle(ctx, f.queue, newID, caseworker, "done by hand")
			return err
		}, workqueue.ErrIllegalTransition},
		{"an item of another namespace", heldID, func() error {
			_, err := f.store.Complete(ctx, other, heldID, robotActor, pod(1), Outcome{Action: workqueue.ActionDone})
			return err
		}, ErrNotFound},
		{"an item that does not exist", newID, func() error {
			_, err := f.store.Retry(ctx, f.queue, heldID+1_000_000, caseworker, nil, "")
			return err
		}, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, err := f.store.Get(ctx, f.queue.Namespace, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.change(); !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			after, _ := f.store.Get(ctx, f.queue.Namespace, tt.id)
			if after.State != before.State || after.Attempts != before.Attempts || !after.UpdatedAt.Equal(before.UpdatedAt) {
				t.Errorf("item changed from %+v to %+v", before, after)
			}
		})
	}
	if _, err := f.store.Get(ctx, other.Namespace, heldID); !errors.Is(err, ErrNotFound) {
		t.Errorf("another namespace reads the item: %v", err)
	}
}

func TestABatchWithOneBadItemAddsNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	bad := []struct {
		name string
		item NewItem
		want string
	}{
		{"payload not JSON", NewItem{Payload: json.RawMessage(`{"cpr":`)}, "not valid JSON"},
		{"payload not an object", NewItem{Payload: json.RawMessage(`[1]`)}, "JSON object"},
		{"payload too large", NewItem{Payload: json.RawMessage(`{"x":"` + strings.Repeat("a", workqueue.MaxPayloadBytes) + `"}`)}, "more than the"},
		{"reference with a control character", NewItem{Reference: "a\nb", Payload: payload("x")}, "control character"},
		{"priority out of range", NewItem{Priority: 5000, Payload: payload("x")}, "priority 5000 is out of range"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.store.Add(ctx, f.queue, caseworker, []NewItem{{Payload: payload("ok")}, tt.item})
			var invalid *InvalidItemError
			if !errors.As(err, &invalid) || invalid.Index != 1 || !strings.Contains(err.Error(), "item 2: ") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want item 2 refused saying %q", err, tt.want)
			}
			if items, _ := f.store.List(ctx, ListOptions{Namespace: f.queue.Namespace}); len(items) != 0 {
				t.Errorf("%d items added from a refused batch", len(items))
			}
		})
	}
}

func TestUniqueReferencesAreRefusedEvenAfterRetention(t *testing.T) {
	f := newFixture(t)
	f.queue.UniqueReferences = true
	ctx := context.Background()
	first := f.add(t, NewItem{Reference: "0101701234", Payload: payload("1")})[0]
	again := f.add(t, NewItem{Reference: "0101701234", Payload: payload("other")}, NewItem{Reference: "0202802345", Payload: payload("2")})
	if !again[0].Existing || again[0].Item == nil || again[0].Item.ID != first.Item.ID || string(again[0].Item.Payload) != `{"certificate": "1"}` {
		t.Fatalf("adding a known reference gave %+v, want the existing item %d unchanged", again[0], first.Item.ID)
	}
	if again[1].Existing {
		t.Fatalf("a new reference was reported as known")
	}

	it := f.take(t, pod(1))
	f.complete(t, it.ID, pod(1), Outcome{Action: workqueue.ActionDone})
	f.clock.Step(31 * 24 * time.Hour)
	deleted, err := f.store.DeleteFinished(ctx, f.queue, f.clock.Now().Add(-30*24*time.Hour))
	if err != nil || deleted != 1 {
		t.Fatalf("retention deleted %d, %v; want 1", deleted, err)
	}
	after := f.add(t, NewItem{Reference: "0101701234", Payload: payload("1")})[0]
	if !after.Existing || after.Item != nil || after.ExistingID != first.Item.ID {
		t.Errorf("after retention: %+v, want the reference still known (item %d, deleted)", after, first.Item.ID)
	}
	// A queue without unique references takes the same reference twice.
	f.queue.UniqueReferences = false
	if twice := f.add(t, NewItem{Reference: "0202802345", Payload: payload("2")})[0]; twice.Existing {
		t.Errorf("a queue without unique references refused a reference")
	}
}

func TestDepthCountsStatesTheOldestAndTheOverdue(t *testing.T) {
	f := newFixture(t)
	f.add(t, NewItem{Payload: payload("old")})
	f.clock.Step(2 * time.Hour)
	f.add(t, NewItem{Payload: payload("a")}, NewItem{Payload: payload("b")})
	it := f.take(t, pod(1))
	f.complete(t, it.ID, pod(1), Outcome{Action: workqueue.ActionDone})
	f.take(t, pod(1))
	d, err := f.store.Depth(context.Background(), f.queue, f.clock.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if d.Counts[workqueue.Done] != 1 || d.Counts[workqueue.InProgress] != 1 || d.Counts[workqueue.New] != 1 {
		t.Errorf("counts %v, want one each of Done, InProgress, New", d.Counts)
	}
	if d.OldestNew == nil || !d.OldestNew.Equal(t0.Add(2*time.Hour)) || d.Overdue != 0 {
		t.Errorf("oldest %v, overdue %d; want %s and none (the old item was taken first)", d.OldestNew, d.Overdue, t0.Add(2*time.Hour))
	}
	f.clock.Step(90 * time.Minute)
	if d, _ := f.store.Depth(context.Background(), f.queue, f.clock.Now().Add(-time.Hour)); d.Overdue != 2 {
		t.Errorf("overdue %d after 90 minutes, want 2 (New and InProgress)", d.Overdue)
	}
}

// TestTakeAndOutcomesCanBeRepeated: a robot whose answer was lost (a
// timeout, a dropped connection) asks again and changes nothing: a take
// gives the item it already holds, an outcome already recorded is
// answered with the item as it is.
func TestTakeAndOutcomesCanBeRepeated(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.add(t, NewItem{Reference: "a", Payload: payload("a")}, NewItem{Reference: "b", Payload: payload("b")})
	first := f.take(t, pod(1))
	again := f.take(t, pod(1))
	if again.ID != first.ID || again.Attempts != 1 {
		t.Fatalf("a repeated take gave item %d at attempt %d, want item %d at attempt 1", again.ID, again.Attempts, first.ID)
	}
	if other := f.take(t, pod(2)); other == nil || other.ID == first.ID {
		t.Fatalf("another pod got %+v, want the other item", other)
	}
	done := f.complete(t, first.ID, pod(1), Outcome{Action: workqueue.ActionDone})
	repeated := f.complete(t, first.ID, pod(1), Outcome{Action: workqueue.ActionDone})
	if repeated.State != workqueue.Done || !repeated.UpdatedAt.Equal(done.UpdatedAt) {
		t.Errorf("a repeated outcome gave %+v, want the item unchanged", repeated)
	}
	if _, err := f.store.Complete(ctx, f.queue, first.ID, robotActor, pod(1), Outcome{Action: workqueue.ActionBusinessException}); !errors.Is(err, workqueue.ErrIllegalTransition) {
		t.Errorf("a different outcome after Done: %v, want ErrIllegalTransition", err)
	}
	history, _ := f.store.History(ctx, f.queue.Namespace, first.ID)
	if len(history) != 3 {
		t.Errorf("history has %d entries, want Add, Take, Done only", len(history))
	}
}

// TestEraseDeletesACitizensItemNowAndKeepsItsReferenceRefused: a person
// finds a citizen's items by reference and erases them before retention:
// payload and history are gone, the reference is still refused, an item
// a robot holds is refused until its run has reported it.
func TestEraseDeletesACitizensItemNowAndKeepsItsReferenceRefused(t *testing.T) {
	f := newFixture(t)
	f.queue.UniqueReferences = true
	ctx := context.Background()
	waiting := f.add(t, NewItem{Reference: "0101701234", Payload: payload("1")})[0].Item
	f.add(t, NewItem{Reference: "0202802345", Payload: payload("2")})

	found, err := f.store.List(ctx, ListOptions{Namespace: f.queue.Namespace, Reference: "0101701234"})
	if err != nil || len(found) != 1 || found[0].ID != waiting.ID {
		t.Fatalf("items of reference 0101701234: %v, %v; want item %d only", found, err, waiting.ID)
	}
	erased, err := f.store.Erase(ctx, f.queue.Namespace, waiting.ID)
	if err != nil || erased.ID != waiting.ID {
		t.Fatalf("erase: %+v, %v", erased, err)
	}
	if _, err := f.store.Get(ctx, f.queue.Namespace, waiting.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("the erased item is still there: %v", err)
	}
	if h, err := f.store.History(ctx, f.queue.Namespace, waiting.ID); err != nil || len(h) != 0 {
		t.Errorf("the erased item's history: %v, %v; want none", h, err)
	}
	if again := f.add(t, NewItem{Reference: "0101701234", Payload: payload("1")})[0]; !again.Existing || again.Item != nil {
		t.Errorf("after erasure: %+v, want the reference still known", again)
	}
	if _, err := f.store.Erase(ctx, f.queue.Namespace, waiting.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("erasing again: %v, want ErrNotFound", err)
	}

	held := f.take(t, pod(1))
	if _, err := f.store.Erase(ctx, f.queue.Namespace, held.ID); !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), pod(1).Pod) {
		t.Errorf("erasing a held item: %v, want ErrHeld naming the pod", err)
	}
	if _, err := f.store.Erase(ctx, "another-namespace", held.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("erasing from another namespace: %v, want ErrNotFound", err)
	}
	f.complete(t, held.ID, pod(1), Outcome{Action: workqueue.ActionDone})
	if _, err := f.store.Erase(ctx, f.queue.Namespace, held.ID); err != nil {
		t.Errorf("erasing the item once reported: %v", err)
	}
}

// TestARunsItemsAreTheOnesItTook: the run record lists them, and so does
// a list by run; a run of the same name in another namespace has its own.
func TestARunsItemsAreTheOnesItTook(t *testing.T) {
	f := newFixture(t)
	added := f.add(t, NewItem{Reference: "a", Payload: payload("a")}, NewItem{Reference: "b", Payload: payload("b")},
		NewItem{Reference: "c", Payload: payload("c")})
	first := f.take(t, pod(1))
	f.complete(t, first.ID, pod(1), Outcome{Action: workqueue.ActionDone})
	second := f.take(t, pod(1))
	f.complete(t, second.ID, pod(1), Outcome{Action: workqueue.ActionBusinessException, Reason: "no certificate"})
	f.take(t, pod(2))

	ctx := context.Background()
	ids, err := f.store.ItemsOfRun(ctx, f.queue.Namespace, pod(1).Run)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{first.ID, second.ID}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("items of run 1: %v, want %v (of %d added)", ids, want, len(added))
	}
	if other, err := f.store.ItemsOfRun(ctx, uniqueName("ns"), pod(1).Run); err != nil || len(other) != 0 {
		t.Errorf("the same run name in another namespace: %v, %v; want none", other, err)
	}
	listed, err := f.store.List(ctx, ListOptions{Namespace: f.queue.Namespace, Run: pod(1).Run})
	if err != nil {
		t.Fatal(err)
	}
	listedIDs := make([]int64, 0, len(listed))
	for _, it := range listed {
		listedIDs = append(listedIDs, it.ID)
	}
	if !slices.Equal(listedIDs, want) {
		t.Errorf("the list of run 1's items: %v, want %v", listedIDs, want)
	}
	if other, err := f.store.List(ctx, ListOptions{Namespace: uniqueName("ns"), Run: pod(1).Run}); err != nil || len(other) != 0 {
		t.Errorf("the list of the same run name in another namespace: %v, %v; want none", other, err)
	}
}

// TestDecisionsOutliveTheirItems: a retry and a handling are kept, who and
// what and when, without the payload or the comment, after the items are
// erased; they go by their own retention.
func TestDecisionsOutliveTheirItems(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	added := f.add(t, NewItem{Reference: "1", Payload: payload("1")}, NewItem{Reference: "2", Payload: payload("2")})
	ids := make([]int64, 0, len(added))
	for _, a := range added {
		ids = append(ids, a.Item.ID)
	}
	for range ids {
		it := f.take(t, pod(1))
		f.complete(t, it.ID, pod(1), Outcome{Action: workqueue.ActionBusinessException, Reason: "address unknown"})
	}
	if _, err := f.store.Retry(ctx, f.queue, ids[0], caseworker, json.RawMessage(`{"certificate":"1","cpr":"0101701234"}`), "cpr 0101701234"); err != nil {
		t.Fatal(err)
	}
	f.clock.Step(time.Hour)
	if _, err := f.store.Handle(ctx, f.queue, ids[1], "bo@aalborg.dk", "called 0202802345"); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if _, err := f.store.Erase(ctx, f.queue.Namespace, id); err != nil {
			t.Fatal(err)
		}
	}
	decisions, err := f.store.Decisions(ctx, DecisionListOptions{Namespace: f.queue.Namespace})
	if err != nil || len(decisions) != 2 {
		t.Fatalf("decisions %+v, %v; want 2", decisions, err)
	}
	want := []Decision{
		{Namespace: f.queue.Namespace, Queue: "certificates", ItemID: ids[0], Action: "Retry", Actor: caseworker,
			From: "BusinessException", To: "New", PayloadEdited: true, At: t0},
		{Namespace: f.queue.Namespace, Queue: "certificates", ItemID: ids[1], Action: "Handle", Actor: "bo@aalborg.dk",
			From: "BusinessException", To: "Handled", At: t0.Add(time.Hour)},
	}
	for i := range want {
		want[i].ID = decisions[i].ID
		if decisions[i] != want[i] {
			t.Errorf("decision %d: %+v, want %+v", i, decisions[i], want[i])
		}
	}
	if later, _ := f.store.Decisions(ctx, DecisionListOptions{Namespace: f.queue.Namespace, From: t0.Add(time.Minute)}); len(later) != 1 {
		t.Errorf("decisions from 08:01: %d, want 1", len(later))
	}
	if names, err := f.store.DecisionNamespaces(ctx); err != nil || !slices.Contains(names, f.queue.Namespace) {
		t.Errorf("namespaces with decisions %v, %v", names, err)
	}
	if n, err := f.store.DeleteDecisionsBefore(ctx, f.queue.Namespace, t0.Add(time.Minute)); err != nil || n != 1 {
		t.Errorf("retention deleted %d, %v; want the first", n, err)
	}
}
