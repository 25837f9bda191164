package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/plugin"
	"github.com/rpa-operator/rpa-operator/internal/server/queuestatus"
	"github.com/rpa-operator/rpa-operator/internal/workqueue"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/store"
)

// cliResult is what one `kubectl robot` invocation printed and returned.
type cliResult struct {
	out, errOut string
	err         error
}

// kubectlRobotQueue runs `kubectl robot -n ns args...` as the cluster
// admin, with stdin as its standard input, against envtest's
// kube-apiserver, which proxies queue.rpa.dev to rpa-server.
func kubectlRobotQueue(t *testing.T, ns, stdin string, args ...string) cliResult {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}
	cmd := plugin.NewCommandForConfig(streams, restCfg, ns)
	cmd.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	return cliResult{out: out.String(), errOut: errOut.String(), err: err}
}

// itemIDsOf lists the ids of the queue's items in state, from the store.
func itemIDsOf(g Gomega, ns, queue string, state workqueue.State) map[string]string {
	list, err := items.List(context.Background(), store.ListOptions{Namespace: ns, Queue: queue, States: []workqueue.State{state}})
	g.Expect(err).NotTo(HaveOccurred())
	byReference := map[string]string{}
	for _, it := range list {
		byReference[it.Reference] = strconv.FormatInt(it.ID, 10)
	}
	return byReference
}

// TestQueueCLIAddsListsRetriesAndHandlesItemsThroughKubeAPIServer runs
// `kubectl robot queue` as a caseworker would, against rpa-server behind
// kube-apiserver's aggregation layer: add a file whose lines include a
// duplicate reference and one that is not JSON, a dry run and a CSV from
// stdin; list the items and the queue's counts; handle and retry items a
// robot put in BusinessException.
func TestQueueCLIAddsListsRetriesAndHandlesItemsThroughKubeAPIServer(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	wq := createWorkQueue(t, ns, "certificates", func(q *rpav1alpha1.WorkQueue) {
		q.Spec.UniqueReferences = true
		q.Spec.Trigger = &rpav1alpha1.WorkQueueTrigger{RobotName: "journal"}
	})

	// Before the APIService exists, the plugin says what is missing.
	g.Eventually(func() error {
		return kubectlRobotQueue(t, ns, "", "queue", "items", "certificates").err
	}, timeout, interval).Should(MatchError(ContainSubstring("is rpa-server installed?")))
	registerAPIService(t, serveAPI(t))

	dir := t.TempDir()
	file := filepath.Join(dir, "certificates.jsonl")
	g.Expect(os.WriteFile(file, []byte(strings.Join([]string{
		`{"reference":"2026-4711","payload":{"cpr":"0101701234"}}`,
		`{"reference":"2026-4712","priority":5,"payload":{"cpr":"0202802345"},"deadline":"2026-12-01T16:00:00+01:00"}`,
		`{"reference":"2026-4713","cpr":"0303903456"}`,
		`{"reference":"2026-4711","payload":{"cpr":"0101701234"}}`,
		`{"reference":"2026-4714","payload":`,
	}, "\n")+"\n"), 0o600)).To(Succeed())
	res := kubectlRobotQueue(t, ns, "", "queue", "add", "certificates", "-f", file)
	added := itemIDsOf(g, ns, "certificates", workqueue.New)
	g.Expect(added).To(HaveLen(3))
	g.Expect(res.out).To(Equal("line 4: reference 2026-4711 exists as item " + added["2026-4711"] + " (New)\n" +
		"line 5: not JSON: unexpected end of JSON input\n" +
		"added 3, existing 1, refused 1\n"))
	g.Expect(res.err).To(MatchError("1 of 5 lines refused"))
	g.Expect(plugin.ExitCode(res.err)).To(Equal(plugin.ExitError))

	// Adding the same file again adds nothing: every reference is known.
	res = kubectlRobotQueue(t, ns, "", "queue", "add", "certificates", "-f", file)
	g.Expect(res.out).To(HaveSuffix("added 0, existing 4, refused 1\n"))

	// A dry run: the server checks each item (its refusal is the API's
	// message) and adds none.
	dry := filepath.Join(dir, "dry.jsonl")
	g.Expect(os.WriteFile(dry, []byte(`{"reference":"2026-4720","payload":{}}`+"\n"+
		`{"reference":"bad\u0007ref","payload":{}}`+"\n"), 0o600)).To(Succeed())
	res = kubectlRobotQueue(t, ns, "", "queue", "add", "certificates", "-f", dry, "--dry-run=server")
	g.Expect(res.out).To(Equal("line 2: invalid work item: reference contains a control character\n" +
		"would add 1, refused 1 (dry run: nothing was added, and references were not looked up)\n"))
	g.Expect(res.err).To(HaveOccurred())

	// CSV from stdin; the reference column is the reference. The store
	// refuses a reference with a control character.
	res = kubectlRobotQueue(t, ns, "reference,cpr\n2026-4715,0505105678\nbad\aref,0606206789\n",
		"queue", "add", "certificates", "-f", "-", "--format", "csv")
	g.Expect(res.out).To(Equal("line 3: invalid work item: reference contains a control character\n" +
		"added 1, existing 0, refused 1\n"))
	g.Expect(res.err).To(MatchError("1 of 2 lines refused"))
	g.Expect(itemIDsOf(g, ns, "certificates", workqueue.New)).To(HaveLen(4), "the dry run added nothing")

	// The robot takes two items (the priority 5 one first) and hands both
	// to people.
	q := queuestatus.Queue(getWorkQueue(g, wq))
	pod := runPodOf(g, ns, "journal", "journal-run-1")
	holder := store.Holder{Run: "journal-run-1", Pod: pod.Name, PodUID: string(pod.UID)}
	for _, reason := range []string{"a remark on the certificate", "no address on file"} {
		taken, err := items.Take(ctx, q, "robot", holder)
		g.Expect(err).NotTo(HaveOccurred())
		_, err = items.Complete(ctx, q, taken.ID, "robot", holder, store.Outcome{Action: workqueue.ActionBusinessException, Reason: reason})
		g.Expect(err).NotTo(HaveOccurred())
	}
	flagged := itemIDsOf(g, ns, "certificates", workqueue.BusinessException)
	g.Expect(flagged).To(HaveKey("2026-4712"))
	g.Expect(flagged).To(HaveKey("2026-4711"))

	res = kubectlRobotQueue(t, ns, "", "queue", "items", "certificates", "--state", "BusinessException")
	g.Expect(res.err).NotTo(HaveOccurred())
	lines := strings.Split(strings.TrimSpace(res.out), "\n")
	g.Expect(lines).To(HaveLen(3))
	g.Expect(strings.Fields(lines[0])).To(Equal([]string{"ID", "REFERENCE", "STATE", "ATTEMPTS", "AGE", "REASON", "HELD", "BY"}))
	g.Expect(strings.Fields(lines[1])).To(HaveExactElements(flagged["2026-4711"], "2026-4711", "BusinessException", "1",
		Not(BeEmpty()), "no", "address", "on", "file", "-"))
	g.Expect(strings.Fields(lines[2])[:3]).To(Equal([]string{flagged["2026-4712"], "2026-4712", "BusinessException"}))

	res = kubectlRobotQueue(t, ns, "", "queue", "items", "certificates", "-o", "json")
	g.Expect(res.err).NotTo(HaveOccurred())
	var list queuev1alpha1.WorkItemList
	g.Expect(json.Unmarshal([]byte(res.out), &list)).To(Succeed())
	g.Expect(list.Kind).To(Equal("WorkItemList"))
	g.Expect(list.Items).To(HaveLen(4))

	g.Eventually(func() []string {
		res := kubectlRobotQueue(t, ns, "", "queue", "list")
		lines := strings.Split(strings.TrimSpace(res.out), "\n")
		if res.err != nil || len(lines) != 2 {
			return lines
		}
		row := strings.Fields(lines[1])
		return append(row[:6:6], row[7:]...) // all but OLDEST, an age
	}, timeout, interval).Should(Equal([]string{"certificates", "2", "0", "2", "0", "0", "journal", "True"}))

	// Handle needs a comment; with one, the item is Handled.
	res = kubectlRobotQueue(t, ns, "", "queue", "handle", flagged["2026-4712"])
	g.Expect(res.err).To(MatchError(ContainSubstring("handle needs --comment")))
	res = kubectlRobotQueue(t, ns, "", "queue", "handle", flagged["2026-4712"], "--comment", "sent to HR")
	g.Expect(res.err).NotTo(HaveOccurred())
	g.Expect(res.out).To(Equal("workitem/" + flagged["2026-4712"] + " handled\n"))

	// Retry with a corrected payload; a second retry, and one of the
	// handled item, are refused with the API's message.
	payload := filepath.Join(dir, "payload.json")
	g.Expect(os.WriteFile(payload, []byte(`{"cpr":"0101701234","address":"Boulevarden 13, 9000 Aalborg"}`), 0o600)).To(Succeed())
	res = kubectlRobotQueue(t, ns, "", "queue", "retry", flagged["2026-4711"], "--payload-file", payload, "--comment", "address found")
	g.Expect(res.err).NotTo(HaveOccurred())
	g.Expect(res.out).To(Equal("workitem/" + flagged["2026-4711"] + " retried\n"))
	retried, err := items.Get(ctx, ns, mustID(g, flagged["2026-4711"]))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(retried.State).To(Equal(workqueue.New))
	g.Expect(string(retried.Payload)).To(ContainSubstring("Boulevarden 13"))

	res = kubectlRobotQueue(t, ns, "", "queue", "retry", flagged["2026-4711"], "workitem/"+flagged["2026-4712"], "999999999")
	g.Expect(res.err).To(MatchError("3 of 3 items not retried"))
	g.Expect(res.out).To(BeEmpty())
	g.Expect(res.errOut).To(ContainSubstring("workitem/" + flagged["2026-4711"] + ": "))
	g.Expect(res.errOut).To(ContainSubstring("illegal transition: Retry is not possible for an item in state New"))
	g.Expect(res.errOut).To(ContainSubstring("Retry is not possible for an item in state Handled"))
	g.Expect(res.errOut).To(ContainSubstring(`workitem/999999999: workitems.queue.rpa.dev "999999999" not found`))

	res = kubectlRobotQueue(t, ns, "", "queue", "items", "certificates", "--state", "New", "-o", "name")
	g.Expect(res.err).NotTo(HaveOccurred())
	g.Expect(strings.Fields(res.out)).To(ContainElement("workitem/" + flagged["2026-4711"]))
	g.Expect(strings.Fields(res.out)).To(HaveLen(3))

	res = kubectlRobotQueue(t, ns, "", "queue", "items", "nowhere")
	g.Expect(res.err).To(MatchError(`workqueue "nowhere" not found in namespace "` + ns + `"`))
}

func mustID(g Gomega, s string) int64 {
	id, err := strconv.ParseInt(s, 10, 64)
	g.Expect(err).NotTo(HaveOccurred())
	return id
}
