package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/imapbox"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/mail"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/mail/mailtest"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/mail/samples"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox/sandboxtest"
	"github.com/rpa-operator/rpa-operator/robots/sdk"
	"github.com/rpa-operator/rpa-operator/robots/sdk/sdktest"
)

const password = "FAKE-sandbox-mailbox-password"

// world is the sandbox's ESDH and mailbox with n sample mails delivered,
// the first half of them moved to Processed (the rest as if the intake
// was stopped before moving them).
type world struct {
	sb       *sandboxtest.Sandbox
	imapAddr string
	box      *mail.Mailbox
	mails    []samples.Mail
	sorter   sorter
	log      *bytes.Buffer
}

func newWorld(t *testing.T, n int) world {
	t.Helper()
	sb := sandboxtest.New(t, sandbox.Config{Cases: 60, JournalRate: 1, JournalBurst: 2})
	cfg := mail.DefaultConfig()
	cfg.Password, cfg.Departments = password, sandbox.DepartmentMailboxes
	box, err := mail.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := mailtest.Serve(t, box)
	w := samples.Writer{To: cfg.Address, Cases: sb.Cases(), Now: time.Now}
	mails := make([]samples.Mail, n)
	for i := range mails {
		if mails[i], err = w.Write(i); err != nil {
			t.Fatal(err)
		}
	}
	if err := samples.Deliver(s.SMTPAddr, mails); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b, err := imapbox.Dial(ctx, s.IMAPAddr, cfg.Address, password)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	waiting, err := b.Waiting(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range waiting[:n/2] {
		if err := b.MoveToProcessed(ctx, m.UID); err != nil {
			t.Fatal(err)
		}
	}
	var logged bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logged, nil))
	esdhURL := mustURL(t, sb.URL)
	return world{sb: sb, imapAddr: s.IMAPAddr, box: box, mails: mails, log: &logged, sorter: sorter{
		rules:   sampleRules(t),
		box:     b,
		esdh:    newESDH(config{esdhURL: esdhURL, esdh: sdk.Account{Username: "robot-herning-post"}}, log, sb.Clock.Sleep),
		forward: forwarder{addr: s.SMTPAddr, from: cfg.Address, now: time.Now},
	}}
}

// itemFor is the item mail-intake made of a delivered mail.
func itemFor(t *testing.T, box *mail.Mailbox, n int) *sdk.WorkItem {
	t.Helper()
	d := box.Deliveries()[n]
	payload, _ := json.Marshal(map[string]string{"messageId": d.MessageID, "from": d.From, "subject": d.Subject})
	return &sdk.WorkItem{ID: "1", Reference: d.MessageID, Payload: payload, Attempt: 1}
}

// TestEachMailIsPlacedOnceThroughARepeat: 20 sample mails, each handled
// twice (as after a kill that lost the outcome): every mail ends in one
// place: forwarded (filed once by the department), journaled (one entry,
// the repeat answered from ESDH's ledger), or handed to a person with the
// reason; no log line holds a whole CPR number.
func TestEachMailIsPlacedOnceThroughARepeat(t *testing.T) {
	const n = 20
	w := newWorld(t, n)
	ctx := context.Background()
	want := map[samples.Kind]string{
		samples.Invoice: "okonomi@herning.dk", samples.Building: "byg@herning.dk", samples.Question: "borgerservice@herning.dk",
	}
	exceptions := map[samples.Kind]string{
		samples.TwoCases: "open cases", samples.NoOpenCase: "no open case", samples.Unplaced: "no rule places this mail",
	}
	journaled := 0
	for i, m := range w.mails {
		for attempt := 1; attempt <= 2; attempt++ {
			item := itemFor(t, w.box, i)
			item.Attempt = attempt
			err := w.sorter.handle(ctx, slog.New(slog.NewJSONHandler(w.log, nil)), item)
			if reason, ok := exceptions[m.Kind]; ok {
				if !sdk.IsBusinessException(err) || !strings.Contains(err.Error(), reason) {
					t.Errorf("mail %d (%s): %v, want a business exception saying %q", i, m.Kind, err, reason)
				}
				continue
			}
			if err != nil {
				t.Fatalf("mail %d (%s), attempt %d: %v", i, m.Kind, attempt, err)
			}
			out := item.Output.(map[string]any)
			if to, ok := want[m.Kind]; ok && out["forwardedTo"] != to {
				t.Errorf("mail %d (%s): output %v, want forwarded to %s", i, m.Kind, out, to)
			}
			if m.Kind == samples.CaseDocument && out["journaledOn"] == nil {
				t.Errorf("mail %d (%s): output %v, want journaled", i, m.Kind, out)
			}
		}
		if m.Kind == samples.CaseDocument {
			journaled++
		}
	}
	forwards := w.box.Forwards()
	seen := map[string]bool{}
	for _, f := range forwards {
		if seen[f.MessageID] || f.Copies != 2 {
			t.Errorf("forward %+v: want one record per mail, with the repeat as its second copy", f)
		}
		seen[f.MessageID] = true
	}
	st := w.sb.State()
	if len(forwards)+journaled+2 != n || st.Journaled != journaled || st.JournalDuplicates != journaled {
		t.Errorf("%d forwarded, %d journaled (%d repeats), want %d and %d of %d mails with 2 for a person",
			len(forwards), st.Journaled, st.JournalDuplicates, n-journaled-2, journaled, n)
	}
	for _, c := range w.sb.Cases() {
		if strings.Contains(w.log.String(), c.PartyCPR) {
			t.Fatalf("the log holds the CPR number of %s's party", c.Number)
		}
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestARunSortsTheQueueAndAKilledRunsMailIsPlacedOnce: a run works the
// queue as the trigger starts it; its pod dies after the third journal
// entry, before the queue hears of it. The next run takes that mail again
// (attempt 2) and every mail ends in one place, once.
func TestARunSortsTheQueueAndAKilledRunsMailIsPlacedOnce(t *testing.T) {
	const n = 20
	w := newWorld(t, n)
	q := sdktest.NewQueue(t, "incoming-mail", sdktest.QueueOptions{UniqueReferences: true})
	for i := range w.mails {
		it := itemFor(t, w.box, i)
		q.Add(t, it.Reference, it.Payload)
	}
	w.sb.StopAfter(http.MethodPost, "/esdh/journal", 3, func() { q.StopPod("mail-sorter-1") })
	rulesFile := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(rulesFile, bytesOf(t, "rules.yaml"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := sdktest.Env{
		Robot:   "mail-sorter",
		Trigger: "Queue",
		Args: map[string]string{
			"imapAddress": w.imapAddr, "smtpAddress": w.sorter.forward.addr, "sandboxURL": w.sb.URL, "rulesFile": rulesFile,
		},
		CredentialsDir: sandboxtest.Credentials(t, map[string]map[string]string{
			"mailbox": {"username": "kommunen@herning.dk", "password": password},
			"esdh":    {"username": "robot-herning-post", "password": "FAKE"},
		}),
	}
	run := func(pod string) sdktest.Outcome {
		r := robot{sleep: w.sb.Clock.Sleep, queueOpener: func() (*sdk.Queue, error) { return q.Pod(pod), nil }}
		return sdktest.Execute(t, context.Background(), env, r.work)
	}
	if out := run("mail-sorter-1"); out.ExitCode == 0 {
		t.Fatalf("the killed run succeeded: %s", out.Result.Summary)
	}
	out := run("mail-sorter-2")
	if out.ExitCode != 0 {
		t.Fatalf("the second run: exit %d, %s\n%s", out.ExitCode, out.Result.Summary, out.Log)
	}
	if q.Count(sdktest.StateDone) != n-2 || q.Count(sdktest.StateBusinessException) != 2 {
		t.Errorf("items %+v, want %d Done and 2 for a person", q.Items(), n-2)
	}
	retaken := 0
	for _, it := range q.Items() {
		if it.Attempts > 1 {
			retaken++
		}
	}
	st := w.sb.State()
	if retaken != 1 || st.Journaled != 6 || st.JournalDuplicates != 1 || len(w.box.Forwards()) != 12 {
		t.Errorf("%d taken again, %d journaled (%d repeats), %d forwarded; want 1, 6 (1), 12", retaken, st.Journaled, st.JournalDuplicates, len(w.box.Forwards()))
	}
}

func bytesOf(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
