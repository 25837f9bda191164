package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/rpa-operator/rpa-operator/internal/pgtest"
	workitems "github.com/rpa-operator/rpa-operator/internal/workqueue/store"
)

var serverURL string

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &serverURL)) }

var t0 = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), serverURL, clocktesting.NewFakeClock(t0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func uniqueName(prefix string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// finished is a record of a run that finished minutes after t0.
func finished(ns, robot, name string, minutes int, phase string) Record {
	start := t0.Add(time.Duration(minutes) * time.Minute)
	return Record{
		UID: uniqueName("uid"), Namespace: ns, Robot: robot, Run: name,
		Trigger:     Trigger{Type: "Schedule", Schedule: "weekdays", ScheduledTime: &start},
		RequestedBy: "system:serviceaccount:rpa-system:rpa-operator-controller-manager",
		Arguments:   map[string]string{"batch": "40"},
		Image:       "localhost/rpa-robots/certificate-journal:1.4", ImageID: "sha256:abc",
		Credentials: []Credential{{Name: "esdh", SecretName: "certificate-journal-esdh", Account: "robot-aalborg-hr"}},
		Systems:     []string{"esdh"},
		CreatedAt:   start, StartedAt: &start, FinishedAt: start.Add(time.Minute),
		Phase: phase, Reason: "Completed", Attempts: 1, ExitCode: ptr.To[int32](0),
		Result: json.RawMessage(`{"itemsProcessed": 12, "summary": "12 certificates journaled"}`),
	}
}

func TestARecordIsWrittenOnceAndReadBackWhole(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	r := finished(uniqueName("hr"), "certificate-journal", "certificate-journal-29001", 0, "Succeeded")
	added, err := s.Add(ctx, r)
	if err != nil || !added {
		t.Fatalf("add: %v, %v", added, err)
	}
	again := r
	again.Phase, again.Message = "Failed", "a second writer's view"
	if added, err := s.Add(ctx, again); err != nil || added {
		t.Fatalf("adding the same run again: added %v, %v; want nothing changed", added, err)
	}
	got, err := s.Get(ctx, r.Namespace, r.UID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.RecordedAt.Equal(t0) {
		t.Errorf("recorded at %s, want the store's clock %s", got.RecordedAt, t0)
	}
	got.RecordedAt = time.Time{}
	want := r
	for _, tm := range []*time.Time{&got.CreatedAt, &got.FinishedAt, got.StartedAt, got.Trigger.ScheduledTime} {
		*tm = tm.UTC()
	}
	var gotResult, wantResult any
	_ = json.Unmarshal(got.Result, &gotResult)
	_ = json.Unmarshal(want.Result, &wantResult)
	if !reflect.DeepEqual(gotResult, wantResult) {
		t.Errorf("result %s, want %s", got.Result, want.Result)
	}
	got.Result, want.Result = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, want)
	}
	if _, err := s.Get(ctx, "another-namespace", r.UID); !errors.Is(err, ErrNotFound) {
		t.Errorf("another namespace's record: %v, want ErrNotFound", err)
	}
}

// TestReplicasRecordingTheSameRunsRecordEachOnce: two rpa-server replicas
// seeing the same finished runs (a failover, a restart) leave one record
// each.
func TestReplicasRecordingTheSameRunsRecordEachOnce(t *testing.T) {
	a, b := open(t), open(t)
	ctx := context.Background()
	ns := uniqueName("hr")
	records := make([]Record, 0, 50)
	for i := range 50 {
		records = append(records, finished(ns, "certificate-journal", fmt.Sprintf("run-%d", i), i, "Succeeded"))
	}
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for w, s := range []*Store{a, b} {
		wg.Go(func() {
			for _, r := range records {
				if added, err := s.Add(ctx, r); err != nil {
					t.Error(err)
				} else if added {
					counts[w]++
				}
			}
		})
	}
	wg.Wait()
	if counts[0]+counts[1] != len(records) {
		t.Errorf("added %d + %d, want %d in all", counts[0], counts[1], len(records))
	}
	all, err := a.List(ctx, ListOptions{Namespace: ns})
	if err != nil || len(all) != len(records) {
		t.Errorf("%d records, %v; want %d", len(all), err, len(records))
	}
}

func TestListFiltersAndPagesNewestFirst(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	ns := uniqueName("hr")
	for i := range 10 {
		phase := "Succeeded"
		if i%3 == 0 {
			phase = "Failed"
		}
		robot := "certificate-journal"
		if i%2 == 0 {
			robot = "welcome-letters"
		}
		if _, err := s.Add(ctx, finished(ns, robot, fmt.Sprintf("run-%d", i), i*10, phase)); err != nil {
			t.Fatal(err)
		}
	}
	names := func(rs []Record) string {
		out := make([]string, 0, len(rs))
		for _, r := range rs {
			out = append(out, r.Run)
		}
		return strings.Join(out, ",")
	}
	for _, tt := range []struct {
		name string
		opts ListOptions
		want string
	}{
		{"all, newest first", ListOptions{}, "run-9,run-8,run-7,run-6,run-5,run-4,run-3,run-2,run-1,run-0"},
		{"one robot", ListOptions{Robot: "welcome-letters"}, "run-8,run-6,run-4,run-2,run-0"},
		{"failed", ListOptions{Phase: "Failed"}, "run-9,run-6,run-3,run-0"},
		{"a period: from on, before not", ListOptions{FinishedFrom: t0.Add(31 * time.Minute), FinishedBefore: t0.Add(61 * time.Minute)}, "run-5,run-4,run-3"},
		{"one robot's failures", ListOptions{Robot: "welcome-letters", Phase: "Failed"}, "run-6,run-0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Namespace = ns
			got, err := s.List(ctx, tt.opts)
			if err != nil || names(got) != tt.want {
				t.Errorf("%s, %v; want %s", names(got), err, tt.want)
			}
		})
	}

	var pages []string
	opts := ListOptions{Namespace: ns, Limit: 4}
	for {
		page, err := s.List(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		pages = append(pages, names(page))
		last := page[len(page)-1]
		opts.After = &Cursor{FinishedAt: last.FinishedAt, UID: last.UID}
	}
	if got := strings.Join(pages, " | "); got != "run-9,run-8,run-7,run-6 | run-5,run-4,run-3,run-2 | run-1,run-0" {
		t.Errorf("pages %s", got)
	}
	if _, err := s.List(ctx, ListOptions{}); err == nil {
		t.Error("a list without a namespace was answered")
	}
}

func TestRetentionDeletesOnlyOldRecordsOfTheNamespace(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	ns, other := uniqueName("hr"), uniqueName("borgerservice")
	for i := range 4 {
		for _, n := range []string{ns, other} {
			if _, err := s.Add(ctx, finished(n, "welcome-letters", fmt.Sprintf("run-%d", i), i*60, "Succeeded")); err != nil {
				t.Fatal(err)
			}
		}
	}
	deleted, err := s.DeleteFinishedBefore(ctx, ns, t0.Add(2*time.Hour))
	if err != nil || deleted != 2 {
		t.Fatalf("deleted %d, %v; want the 2 runs finished before 10:00", deleted, err)
	}
	if left, _ := s.List(ctx, ListOptions{Namespace: ns}); len(left) != 2 {
		t.Errorf("%d records left, want 2", len(left))
	}
	if kept, _ := s.List(ctx, ListOptions{Namespace: other}); len(kept) != 4 {
		t.Errorf("another namespace lost records: %d left", len(kept))
	}
}

func TestRetentionTakesTheLogsWithTheRecord(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	ns := uniqueName("hr")
	old, kept := finished(ns, "welcome-letters", "run-1", 0, "Succeeded"), finished(ns, "welcome-letters", "run-2", 180, "Succeeded")
	for _, r := range []Record{old, kept} {
		if _, err := s.Add(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := s.PutLog(ctx, Log{RunUID: r.UID, Namespace: ns, Pod: r.Run + "-abcde", Attempt: 1, Content: []byte("sent 40 letters\n"), Complete: true}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.DeleteFinishedBefore(ctx, ns, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if logs, err := s.Logs(ctx, ns, old.UID); err != nil || len(logs) != 0 {
		t.Errorf("logs of a deleted record: %d, %v; want none", len(logs), err)
	}
	if logs, err := s.Logs(ctx, ns, kept.UID); err != nil || len(logs) != 1 {
		t.Errorf("logs of a kept record: %d, %v; want 1", len(logs), err)
	}
	names, err := s.Namespaces(ctx)
	if err != nil || !slices.Contains(names, ns) {
		t.Errorf("namespaces with records %v, %v; want %s among them", names, err, ns)
	}
}

// TestAnEndedAttemptsLogIsKeptAsFirstFetched: a pod being deleted is
// fetched while its container still runs, and again once it has ended;
// after that, another replica's fetch changes nothing.
func TestAnEndedAttemptsLogIsKeptAsFirstFetched(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	ns, uid := uniqueName("hr"), uniqueName("uid")
	put := func(content string, complete bool) {
		t.Helper()
		if err := s.PutLog(ctx, Log{RunUID: uid, Namespace: ns, Pod: "letters-1-x", Attempt: 1, Content: []byte(content), Complete: complete}); err != nil {
			t.Fatal(err)
		}
	}
	put("starting\n", false)
	put("starting\nsent 40 letters\n", true)
	put("", true)
	if err := s.PutLog(ctx, Log{RunUID: uid, Namespace: ns, Pod: "letters-1-y", Attempt: 2, Note: "the pod was gone before its log was fetched"}); err != nil {
		t.Fatal(err)
	}
	logs, err := s.Logs(ctx, ns, uid)
	if err != nil || len(logs) != 2 {
		t.Fatalf("logs %v, %v; want 2", logs, err)
	}
	if string(logs[0].Content) != "starting\nsent 40 letters\n" || !logs[0].Complete {
		t.Errorf("attempt 1: %q complete %v; want the log as first fetched complete", logs[0].Content, logs[0].Complete)
	}
	if logs[1].Attempt != 2 || logs[1].Note == "" || len(logs[1].Content) != 0 {
		t.Errorf("attempt 2: %+v; want an empty log with its note", logs[1])
	}
	if other, _ := s.Logs(ctx, uniqueName("borgerservice"), uid); len(other) != 0 {
		t.Error("another namespace read the run's logs")
	}
	err = s.PutLog(ctx, Log{RunUID: uid, Namespace: ns, Pod: "big", Content: make([]byte, MaxLogBytesPerRun+1)})
	if err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("a log over the cap: %v; want it refused", err)
	}
}

func TestLatestFindsARunByNameNewestFirst(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	ns := uniqueName("hr")
	first, second := finished(ns, "welcome-letters", "letters-manual", 0, "Failed"), finished(ns, "welcome-letters", "letters-manual", 60, "Succeeded")
	second.WorkItems = []int64{4, 9}
	for _, r := range []Record{first, second} {
		if _, err := s.Add(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Latest(ctx, ns, "letters-manual")
	if err != nil || got.UID != second.UID || !slices.Equal(got.WorkItems, []int64{4, 9}) {
		t.Errorf("latest %s %v, %v; want %s with items [4 9]", got.UID, got.WorkItems, err, second.UID)
	}
	if _, err := s.Latest(ctx, ns, "no-such-run"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown run: %v, want ErrNotFound", err)
	}
}

func TestRefusedRecordsSayWhy(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	good := finished(uniqueName("hr"), "welcome-letters", "run-1", 0, "Succeeded")
	for _, tt := range []struct {
		name   string
		mutate func(*Record)
		want   string
	}{
		{"no UID", func(r *Record) { r.UID = "" }, "needs the run's UID"},
		{"not finished", func(r *Record) { r.Phase = "" }, "has not finished"},
		{"no finish time", func(r *Record) { r.FinishedAt = time.Time{} }, "has not finished"},
		{"a result that is not JSON", func(r *Record) { r.Result = json.RawMessage(`{"items":`) }, "not JSON"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := good
			tt.mutate(&r)
			if _, err := s.Add(ctx, r); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestSharesADatabaseWithTheWorkItems: the two stores migrate one
// database, each with its own migration history.
func TestSharesADatabaseWithTheWorkItems(t *testing.T) {
	ctx := context.Background()
	url, err := pgtest.NewDatabase(ctx, serverURL)
	if err != nil {
		t.Fatal(err)
	}
	items, err := workitems.Open(ctx, url, workitems.Options{ReferenceKey: []byte("a reference key of at least 32 bytes, for tests")})
	if err != nil {
		t.Fatal(err)
	}
	defer items.Close()
	records, err := Open(ctx, url, nil)
	if err != nil {
		t.Fatalf("the run records beside the work items: %v", err)
	}
	defer records.Close()
	if _, err := records.Add(ctx, finished("hr", "welcome-letters", "run-1", 0, "Succeeded")); err != nil {
		t.Fatal(err)
	}
	again, err := Open(ctx, url, nil)
	if err != nil {
		t.Fatalf("opening again: %v", err)
	}
	again.Close()
}

// TestARobotsSuspensionsAreRecordedOnceEach: the state seen again adds
// nothing; a change of state, or of who made it so, adds one.
func TestARobotsSuspensionsAreRecordedOnceEach(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	ns := uniqueName("hr")
	change := func(gen int64, action, actor string) RobotChange {
		return RobotChange{Namespace: ns, Robot: "welcome-letters", RobotUID: "robot-uid-" + ns, Generation: gen, Action: action, Actor: actor}
	}
	for _, step := range []struct {
		change RobotChange
		added  bool
	}{
		{change(1, ActionResume, ""), false},                   // never suspended
		{change(2, ActionSuspend, "anne@rudersdal.dk"), true},  // suspended
		{change(2, ActionSuspend, "anne@rudersdal.dk"), false}, // seen again (a restart, another replica)
		{change(3, ActionResume, "bo@rudersdal.dk"), true},     // resumed
		{change(5, ActionResume, "bo@rudersdal.dk"), false},    // another edit, still resumed
		{change(7, ActionSuspend, "carla@rudersdal.dk"), true}, // suspended again
		{change(9, ActionSuspend, "dorte@rudersdal.dk"), true}, // resumed and suspended while unseen: the new suspender
	} {
		added, err := s.NoteRobotState(ctx, step.change)
		if err != nil || added != step.added {
			t.Fatalf("%+v: added %v, %v; want %v", step.change, added, err, step.added)
		}
	}
	changes, err := s.RobotChanges(ctx, ChangeListOptions{Namespace: ns})
	if err != nil || len(changes) != 4 {
		t.Fatalf("changes %+v, %v; want 4", changes, err)
	}
	if changes[0].Actor != "anne@rudersdal.dk" || changes[1].Action != ActionResume || !changes[0].ObservedAt.Equal(t0) {
		t.Errorf("changes %+v", changes)
	}
	page, err := s.RobotChanges(ctx, ChangeListOptions{Namespace: ns, Limit: 2, AfterID: changes[1].ID})
	if err != nil || len(page) != 2 || page[0].ID != changes[2].ID {
		t.Errorf("second page %+v, %v", page, err)
	}
	if other, _ := s.RobotChanges(ctx, ChangeListOptions{Namespace: uniqueName("other")}); len(other) != 0 {
		t.Error("another namespace's changes listed")
	}
	if _, err := s.DeleteFinishedBefore(ctx, ns, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if left, _ := s.RobotChanges(ctx, ChangeListOptions{Namespace: ns}); len(left) != 0 {
		t.Errorf("%d changes left after retention", len(left))
	}
}
