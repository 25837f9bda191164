package main

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox/sandboxtest"
	"github.com/rpa-operator/rpa-operator/robots/sdk"
	"github.com/rpa-operator/rpa-operator/robots/sdk/sdktest"
)

const password = "Herning-Paula-2025"

// The sandbox in these tests: 30 properties and an ESDH that takes one
// journal entry a second, two at once. A caseworker queues a varsel for
// the 15 due one and a påbud for the 9 due one, and three items the robot
// must refuse.
var seed = sandbox.Config{SewerProperties: 30, JournalRate: 1, JournalBurst: 2}

// refused are the items that end as business exceptions, with why.
var refused = map[string]string{
	"SK-00011/varsel": "has no Digital Post mailbox",
	"SK-00026/varsel": "has no Digital Post mailbox",
	"SK-00023/varsel": "name and address protection",
	"SK-00005/paabud": "may answer the varsel until",
	"SK-00007/varsel": "separated its sewer already",
	"SK-00003/varsel": "sent on paper",
}

const items, lettersDue = 15 + 9 + 3, 15 + 9 - 3

func newSandbox(t *testing.T) (*sandboxtest.Sandbox, *sdktest.Queue) {
	sb := sandboxtest.New(t, seed)
	q := sdktest.NewQueue(t, "sewer-letters", sdktest.QueueOptions{UniqueReferences: true, Now: sb.Clock.Now})
	add := func(id, step string) {
		q.Add(t, id+"/"+step, request{PropertyID: id, Step: step})
	}
	for _, p := range sb.SewerProperties() {
		if p.Due != "" {
			add(p.ID, p.Due)
		}
	}
	add("SK-00005", stepPaabud)
	add("SK-00007", stepVarsel)
	add("SK-00003", stepVarsel)
	if n := len(q.Items()); n != items {
		t.Fatalf("%d items queued, want %d", n, items)
	}
	return sb, q
}

func runPaula(t *testing.T, sb *sandboxtest.Sandbox, q *sdktest.Queue, pod string) sdktest.Outcome {
	t.Helper()
	env := sdktest.Env{
		Robot:   "paula",
		Trigger: triggerQueue,
		Args:    map[string]string{"sandboxURL": sb.URL},
		CredentialsDir: sandboxtest.Credentials(t, map[string]map[string]string{
			"digital-post": {"username": "robot-herning-paula", "password": password},
			"esdh":         {"username": "robot-herning-paula-esdh", "password": password},
		}),
	}
	r := robot{sleep: sb.Clock.Sleep, now: sb.Clock.Now, queue: func(string) (*sdk.Queue, error) { return q.Pod(pod), nil }}
	return sdktest.Execute(t, context.Background(), env, r.work)
}

// killAfterLetter plays a SIGKILL right after Digital Post sent the n-th
// letter: the pod is gone, so nothing it would do next reaches ESDH.
func killAfterLetter(sb *sandboxtest.Sandbox, q *sdktest.Queue, pod string, n int) {
	var mu sync.Mutex
	sent, dead := 0, false
	sb.Intercept(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		mu.Lock()
		gone := dead
		mu.Unlock()
		if gone {
			http.Error(w, "the pod is gone", http.StatusBadGateway)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if r.Method != http.MethodPost || r.URL.Path != "/digital-post/letters" || sw.status != http.StatusCreated {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if sent++; sent == n {
			dead = true
			q.StopPod(pod)
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

func TestPaulaSendsAndJournalsEachLetterOnce(t *testing.T) {
	tests := []struct {
		name      string
		prepare   func(sb *sandboxtest.Sandbox, q *sdktest.Queue)
		wantCodes []int
		wantLast  string
		// wantRetaken is the item taken twice, if any.
		wantRetaken           string
		wantJournalDuplicates int
	}{
		{
			name:      "one run does every item",
			wantCodes: []int{0},
			wantLast:  "21 sewer separation letters sent and journaled, 6 for a caseworker",
		},
		{
			name:        "killed between the letter and its journal entry: the retry journals it, sends nothing again",
			prepare:     func(sb *sandboxtest.Sandbox, q *sdktest.Queue) { killAfterLetter(sb, q, "paula-1", 4) },
			wantCodes:   []int{1, 0},
			wantLast:    "18 sewer separation letters sent and journaled, 6 for a caseworker",
			wantRetaken: "SK-00004/varsel",
		},
		{
			name: "killed after the journal entry, before the outcome: the retry does nothing twice",
			prepare: func(sb *sandboxtest.Sandbox, q *sdktest.Queue) {
				sb.StopAfter(http.MethodPost, "/esdh/journal", 3, func() { q.StopPod("paula-1") })
			},
			wantCodes:   []int{1, 0},
			wantLast:    "19 sewer separation letters sent and journaled, 6 for a caseworker",
			wantRetaken: "SK-00003/paabud",
		},
		{
			name:                  "lost journal answers are retried with the same key",
			prepare:               func(sb *sandboxtest.Sandbox, _ *sdktest.Queue) { sb.LoseAnswers(http.MethodPost, "/esdh/journal", 2) },
			wantCodes:             []int{0},
			wantLast:              "21 sewer separation letters sent and journaled, 6 for a caseworker",
			wantJournalDuplicates: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb, q := newSandbox(t)
			if tt.prepare != nil {
				tt.prepare(sb, q)
			}
			var last sdktest.Outcome
			for i, want := range tt.wantCodes {
				if i > 0 {
					sb.Intercept(nil)
				}
				last = runPaula(t, sb, q, "paula-"+string(rune('1'+i)))
				if last.ExitCode != want {
					t.Fatalf("run %d exited %d (%s), want %d", i+1, last.ExitCode, last.Result.Summary, want)
				}
			}
			if last.Result.Summary != tt.wantLast {
				t.Errorf("summary %q\nwant    %q", last.Result.Summary, tt.wantLast)
			}
			checkEachLetterJournaledOnce(t, sb, q)
			st := sb.State()
			if st.LetterDuplicates != 0 || st.JournalDuplicates != tt.wantJournalDuplicates || st.IdempotencyConflicts != 0 {
				t.Errorf("duplicates: %d letters, %d journal (want %d), %d conflicts", st.LetterDuplicates, st.JournalDuplicates, tt.wantJournalDuplicates, st.IdempotencyConflicts)
			}
			for _, it := range q.Items() {
				if (it.Attempts > 1) != (it.Reference == tt.wantRetaken) {
					t.Errorf("%s taken %d times", it.Reference, it.Attempts)
				}
			}
			if strings.Contains(last.Log, password) {
				t.Error("the password reached the log")
			}
		})
	}
}

// checkEachLetterJournaledOnce checks the end state Paula promises
// against the sandbox's and the queue's records: every item ended; a Done
// item's property has exactly one letter of the step, by Paula's user, and
// exactly one journal entry of it, in the property's case; a refused item
// has none, and says why.
func checkEachLetterJournaledOnce(t *testing.T, sb *sandboxtest.Sandbox, q *sdktest.Queue) {
	t.Helper()
	letters := map[string][]sandbox.Letter{}
	for _, l := range sb.Letters() {
		letters[l.About.ID+"/"+l.Template] = append(letters[l.About.ID+"/"+l.Template], l)
	}
	entries := map[string][]sandbox.JournalEntry{}
	for _, e := range sb.Journal() {
		entries[e.Document.ID] = append(entries[e.Document.ID], e)
	}
	properties := map[string]sandbox.SewerProperty{}
	for _, p := range sb.SewerProperties() {
		properties[p.ID] = p
	}
	done := 0
	for _, it := range q.Items() {
		id, step, _ := strings.Cut(it.Reference, "/")
		sent := letters[id+"/"+map[string]string{stepVarsel: templateVarsel, stepPaabud: templatePaabud}[step]]
		if reason, ok := refused[it.Reference]; ok {
			if it.State != sdktest.StateBusinessException || !strings.Contains(it.Reason, reason) || len(sent) != 0 {
				t.Errorf("%s: %s %q with %d letters; want a business exception saying %q", it.Reference, it.State, it.Reason, len(sent), reason)
			}
			continue
		}
		done++
		if it.State != sdktest.StateDone || len(sent) != 1 {
			t.Errorf("%s: %s with %d letters, want Done with 1", it.Reference, it.State, len(sent))
			continue
		}
		journaled := entries[sent[0].ID]
		if len(journaled) != 1 || journaled[0].CaseNumber != properties[id].CaseNumber || journaled[0].JournaledBy != "robot-herning-paula-esdh" || sent[0].SentBy != "robot-herning-paula" {
			t.Errorf("%s: letter %s by %s journaled %d times (%+v), want once in %s", it.Reference, sent[0].ID, sent[0].SentBy, len(journaled), journaled, properties[id].CaseNumber)
		}
	}
	if st := sb.State(); done != lettersDue || st.SewerLetters != lettersDue || st.SewerLettersJournaled != lettersDue {
		t.Errorf("%d items done, %d sewer letters, %d journaled; want %d each", done, st.SewerLetters, st.SewerLettersJournaled, lettersDue)
	}
}

func TestPaulaWaitsAsESDHAsks(t *testing.T) {
	sb, q := newSandbox(t)
	out := runPaula(t, sb, q, "paula-1")
	st := sb.State()
	if st.Rejected429 == 0 {
		t.Fatal("ESDH never answered 429: the test does not test the rate limit")
	}
	for _, d := range sb.Clock.Slept() {
		if d < time.Second {
			t.Errorf("waited %s after a 429 whose Retry-After was at least 1 s", d)
		}
	}
	// 21 entries at one a second after a burst of two take at least 19 s.
	if elapsed := sb.Clock.Now().Sub(sandboxtest.Start); elapsed < 19*time.Second {
		t.Errorf("the run took %s of ESDH's time, want at least 19 s", elapsed)
	}
	if retries := len(out.Lines(t, "retrying")); retries != st.Rejected429 {
		t.Errorf("%d retries logged, %d requests refused", retries, st.Rejected429)
	}
}

func TestDecideFollowsTheSteps(t *testing.T) {
	varselOnPaper := &sentLetter{Sent: "2025-05-10", AnswerBy: "2025-06-07"}
	recentVarsel := &sentLetter{LetterID: "DP-000001", Sent: "2025-06-20", AnswerBy: "2025-07-18", JournalID: "J-000001"}
	tests := []struct {
		name        string
		property    property
		step        string
		wantSend    string
		wantLetter  string
		wantJournal string
		wantRefusal string
	}{
		{name: "a varsel to a property without one", step: stepVarsel, wantSend: templateVarsel},
		{name: "a påbud after the answer period", property: property{Varsel: varselOnPaper}, step: stepPaabud, wantSend: templatePaabud},
		{name: "a påbud on the answer period's last day", property: property{Varsel: &sentLetter{AnswerBy: "2025-07-01"}}, step: stepPaabud, wantRefusal: "may answer the varsel until 2025-07-01"},
		{name: "a påbud without a varsel", step: stepPaabud, wantRefusal: "needs a varsel"},
		{name: "a varsel sent by an earlier attempt is journaled, not sent", property: property{Varsel: &sentLetter{LetterID: "DP-000007"}}, step: stepVarsel, wantLetter: "DP-000007"},
		{name: "a varsel sent and journaled is done", property: property{Varsel: recentVarsel}, step: stepVarsel, wantLetter: "DP-000001", wantJournal: "J-000001"},
		{name: "a varsel on paper is the caseworker's", property: property{Varsel: varselOnPaper}, step: stepVarsel, wantRefusal: "sent on paper on 2025-05-10"},
		{name: "a separated property gets nothing", property: property{Separated: true}, step: stepVarsel, wantRefusal: "separated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pl, refusal := decide(tt.property, tt.step, "2025-07-01")
			send := ""
			if pl.send != nil {
				send = pl.send.Template
			}
			if send != tt.wantSend || pl.letterID != tt.wantLetter || pl.journalID != tt.wantJournal || !strings.Contains(refusal, tt.wantRefusal) || (tt.wantRefusal == "") != (refusal == "") {
				t.Errorf("plan %+v (send %q), refusal %q; want send %q, letter %q, journal %q, refusal %q", pl, send, refusal, tt.wantSend, tt.wantLetter, tt.wantJournal, tt.wantRefusal)
			}
		})
	}
}

func TestMissingESDHCredentialExitsWithUsage(t *testing.T) {
	sb, q := newSandbox(t)
	r := robot{sleep: sb.Clock.Sleep, now: sb.Clock.Now, queue: func(string) (*sdk.Queue, error) { return q.Pod("paula-1"), nil }}
	env := sdktest.Env{Robot: "paula", Args: map[string]string{"sandboxURL": sb.URL},
		CredentialsDir: sandboxtest.Credentials(t, map[string]map[string]string{"digital-post": {"username": "robot-herning-paula", "password": password}})}
	out := sdktest.Execute(t, context.Background(), env, r.work)
	if out.ExitCode != sdk.ExitUsage || !strings.Contains(out.Result.Summary, "credential esdh is not mounted") {
		t.Errorf("exit %d, summary %q", out.ExitCode, out.Result.Summary)
	}
}
