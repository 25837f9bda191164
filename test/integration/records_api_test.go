package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/plugin"
	runrecords "github.com/rpa-operator/rpa-operator/internal/runrecord/store"
	"github.com/rpa-operator/rpa-operator/internal/server/queuestatus"
	"github.com/rpa-operator/rpa-operator/internal/server/recordsapi"
	"github.com/rpa-operator/rpa-operator/internal/workqueue"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/store"
)

// recordsClient is a REST client of records.rpa.dev through kube-apiserver,
// as the admin or impersonating user.
func recordsClient(g Gomega, user string) *rest.RESTClient {
	cfg := rest.CopyConfig(restCfg)
	if user != "" {
		cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	}
	cfg.APIPath, cfg.GroupVersion = "/apis", &recordsv1alpha1.SchemeGroupVersion
	cfg.NegotiatedSerializer = recordsapi.Codecs.WithoutConversion()
	c, err := rest.RESTClientFor(cfg)
	g.Expect(err).NotTo(HaveOccurred())
	return c
}

// finishRun runs a run to success as the Job controller and kubelet would.
func finishRun(g Gomega, run *rpav1alpha1.RobotRun, result string) {
	job := waitForJob(g, run)
	startJob(g, job)
	endPod(g, createPod(g, job, "a1"), 0, result)
	completeJob(g, job)
	waitForOutcome(g, run, rpav1alpha1.PhaseSucceeded, rpav1alpha1.ReasonCompleted)
}

// TestRunRecordsThroughKubeAPIServer: `kubectl get runrecords` lists and
// gets the records, filtered and paged; a record's logs are a subresource
// that viewers may not read and editors may.
func TestRunRecordsThroughKubeAPIServer(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newRecordedNamespace(t)
	registerAPIService(t, serveAPI(t))
	createRobot(t, ns, "welcome-letters", func(r *rpav1alpha1.Robot) { r.Spec.ConcurrencyPolicy = rpav1alpha1.ConcurrencyAllow })
	createRobot(t, ns, "residence-check", nil)
	letters := make([]*rpav1alpha1.RobotRun, 0, 3)
	for _, name := range []string{"letters-1", "letters-2", "letters-3"} {
		run := createRun(t, ns, name, "welcome-letters", nil)
		finishRun(g, run, `{"itemsProcessed":40}`)
		letters = append(letters, run)
	}
	check := createRun(t, ns, "check-1", "residence-check", nil)
	finishRun(g, check, `{"itemsProcessed":1}`)
	for _, run := range append(letters, check) {
		waitForRecord(g, records, run)
	}
	// A log as the kubelet would have given it, to read back through the API.
	robotWrote := "<script>alert(1)</script> sent 40 letters\n"
	g.Expect(records.PutLog(ctx, runrecords.Log{RunUID: string(letters[0].UID), Namespace: ns, Pod: "letters-1-retry", Attempt: 2,
		Content: []byte(robotWrote), Complete: true, Truncated: true})).To(Succeed())

	admin := recordsClient(g, "")
	list := &recordsv1alpha1.RunRecordList{}
	g.Eventually(func() error {
		return admin.Get().Namespace(ns).Resource("runrecords").Param("fieldSelector", "spec.robotName=welcome-letters").Do(ctx).Into(list)
	}, timeout, interval).Should(Succeed())
	g.Expect(list.Items).To(HaveLen(3))
	for i := 1; i < len(list.Items); i++ {
		g.Expect(list.Items[i].Status.CompletionTime.After(list.Items[i-1].Status.CompletionTime.Time)).To(BeFalse(), "newest first")
	}

	page := &recordsv1alpha1.RunRecordList{}
	g.Expect(admin.Get().Namespace(ns).Resource("runrecords").Param("limit", "2").Do(ctx).Into(page)).To(Succeed())
	g.Expect(page.Items).To(HaveLen(2))
	g.Expect(page.Continue).NotTo(BeEmpty())
	next := &recordsv1alpha1.RunRecordList{}
	g.Expect(admin.Get().Namespace(ns).Resource("runrecords").Param("limit", "2").Param("continue", page.Continue).Do(ctx).Into(next)).To(Succeed())
	g.Expect(next.Items).To(HaveLen(2))
	g.Expect(next.Items[0].Name).NotTo(BeElementOf(page.Items[0].Name, page.Items[1].Name))

	future := &recordsv1alpha1.RunRecordList{}
	g.Expect(admin.Get().Namespace(ns).Resource("runrecords").Param("fieldSelector", "from=2999-01-01").Do(ctx).Into(future)).To(Succeed())
	g.Expect(future.Items).To(BeEmpty())
	err := admin.Get().Namespace(ns).Resource("runrecords").Param("fieldSelector", "from=last-tuesday").Do(ctx).Error()
	g.Expect(apierrors.IsBadRequest(err)).To(BeTrue(), "a time that is not one: %v", err)

	got := &recordsv1alpha1.RunRecord{}
	g.Expect(admin.Get().Namespace(ns).Resource("runrecords").Name("letters-1").Do(ctx).Into(got)).To(Succeed())
	g.Expect(string(got.UID)).To(Equal(string(letters[0].UID)))
	g.Expect(got.Spec.RequestedBy).NotTo(BeEmpty())
	g.Expect(got.Status.Logs).To(HaveLen(2))
	g.Expect(got.Status.Logs[1]).To(Equal(recordsv1alpha1.RecordedLog{Attempt: 2, Pod: "letters-1-retry", Bytes: int64(len(robotWrote)), Truncated: true}))

	table := &metav1.Table{}
	g.Expect(admin.Get().Namespace(ns).Resource("runrecords").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").Do(ctx).Into(table)).To(Succeed())
	g.Expect(table.Rows).To(HaveLen(4))
	g.Expect(table.Rows[0].Cells[2:4]).To(Equal([]any{"Manual", "Succeeded"}))

	result := admin.Get().Namespace(ns).Resource("runrecords").Name("letters-1").SubResource("log").Do(ctx)
	logText, err := result.Raw()
	g.Expect(err).NotTo(HaveOccurred())
	var contentType string
	result.ContentType(&contentType)
	g.Expect(contentType).To(HavePrefix("text/plain"), "robot-written text is served as text, never HTML")
	g.Expect(string(logText)).To(ContainSubstring("==> attempt 2 (pod letters-1-retry) <=="))
	g.Expect(string(logText)).To(ContainSubstring("<script>alert(1)</script> sent 40 letters\n[rpa-server: the log was cut here"))

	g.Expect(admin.Get().Namespace(ns).Resource("runrecords").Name("no-such-run").Do(ctx).Error()).
		To(Satisfy(apierrors.IsNotFound))

	viewer := recordsClient(g, "process-owner")
	clientAs(t, ns, "process-owner", applyUserRole(t, "rpa_robot_viewer_role.yaml"))
	g.Eventually(func() error {
		return viewer.Get().Namespace(ns).Resource("runrecords").Do(ctx).Into(&recordsv1alpha1.RunRecordList{})
	}, timeout, interval).Should(Succeed(), "a viewer reads the records")
	g.Expect(viewer.Get().Namespace(ns).Resource("robotchanges").Do(ctx).Into(&recordsv1alpha1.RobotChangeList{})).
		To(Succeed(), "and the robots' suspensions")
	err = viewer.Get().Namespace(ns).Resource("runrecords").Name("letters-1").SubResource("log").Do(ctx).Error()
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "a viewer does not read logs: %v", err)
	err = viewer.Get().Namespace("default").Resource("runrecords").Do(ctx).Error()
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "nor another namespace's records: %v", err)

	editor := recordsClient(g, "rpa-developer")
	clientAs(t, ns, "rpa-developer", applyUserRole(t, "rpa_robot_editor_role.yaml"))
	g.Eventually(func() error {
		return editor.Get().Namespace(ns).Resource("runrecords").Name("letters-1").SubResource("log").Do(ctx).Error()
	}, timeout, interval).Should(Succeed(), "an editor reads logs")
}

// TestHistoryAndLogsOfPrunedRunsComeFromTheRecords: `kubectl robot
// history` lists the runs pruned from the cluster with those it has, and
// `kubectl robot logs` prints a pruned run's recorded log (here, with no
// kubelet, the note saying why there is none).
func TestHistoryAndLogsOfPrunedRunsComeFromTheRecords(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newRecordedNamespace(t)
	registerAPIService(t, serveAPI(t))
	createRobot(t, ns, "welcome-letters", func(r *rpav1alpha1.Robot) { r.Spec.SuccessfulRunsHistoryLimit = ptr.To[int32](1) })
	first := createRun(t, ns, "letters-1", "welcome-letters", nil)
	finishRun(g, first, `{"itemsProcessed":40}`)
	second := createRun(t, ns, "letters-2", "welcome-letters", nil)
	finishRun(g, second, `{"itemsProcessed":12}`)
	waitForRecord(g, records, first)
	waitForRecord(g, records, second)
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8sClient.Get(ctx, objectKey(first), &rpav1alpha1.RobotRun{}))
	}, timeout, interval).Should(BeTrue(), "pruned")

	var res cliResult
	g.Eventually(func(g Gomega) {
		res = kubectlRobotQueue(t, ns, "", "history", "welcome-letters")
		g.Expect(res.err).NotTo(HaveOccurred())
		g.Expect(res.out).To(MatchRegexp(`letters-2\s+Manual\s+Succeeded\s+Completed\s+\S+\s+-\s+12\s.*run, record`))
		g.Expect(res.out).To(MatchRegexp(`letters-1\s+Manual\s+Succeeded\s+Completed\s+\S+\s+-\s+40\s.*record`))
	}, timeout, interval).Should(Succeed())

	res = kubectlRobotQueue(t, ns, "", "logs", "letters-1")
	g.Expect(res.err).NotTo(HaveOccurred())
	g.Expect(res.errOut).To(ContainSubstring("from the run records"))
	g.Expect(res.out).To(ContainSubstring("[rpa-server: the kubelet gave no log"))

	res = kubectlRobotQueue(t, ns, "", "audit", "--from", "2000-01-01", "--before", "2999-01-01", "--time-zone", "Europe/Copenhagen")
	g.Expect(res.err).NotTo(HaveOccurred())
	lines := strings.Split(strings.TrimSpace(res.out), "\n")
	g.Expect(lines).To(HaveLen(3), "a header and both runs:\n%s", res.out)
	// Oldest first; both finished within a second here, as completion
	// times are kept to the second, so only that both are there is sure.
	g.Expect(strings.Join(lines[1:], "\n")).To(And(ContainSubstring(",letters-1,"), ContainSubstring(",letters-2,")))
	rec, err := records.Get(ctx, ns, string(second.UID))
	g.Expect(err).NotTo(HaveOccurred())
	res = kubectlRobotQueue(t, ns, "", "usage", "--month", rec.FinishedAt.UTC().Format("2006-01"), "--time-zone", "UTC")
	g.Expect(res.err).NotTo(HaveOccurred())
	g.Expect(res.out).To(ContainSubstring(","+ns+",welcome-letters,"), res.out)
	g.Expect(res.out).To(MatchRegexp(`,welcome-letters,[12],[12],0,0,0,[0-9.]+,(52|12|40),0`))

	res = kubectlRobotQueue(t, ns, "", "logs", "letters-0")
	g.Expect(res.err).To(MatchError(ContainSubstring(`robotrun "letters-0" not found`)))
	g.Expect(res.err).To(MatchError(ContainSubstring("the run records have no run of that name")))
}

// TestItemDecisionsAreKeptAndExportedAfterTheItemsAreGone: a person's
// handling and retry of items, listed through kube-apiserver and exported
// by `kubectl robot audit --decisions` after the items were erased, with
// who and when, and neither the payload nor the comment.
func TestItemDecisionsAreKeptAndExportedAfterTheItemsAreGone(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	registerAPIService(t, serveAPI(t))
	wq := createWorkQueue(t, ns, "certificates", nil)
	q := queuestatus.Queue(getWorkQueue(g, wq))
	ids := itemsForAPerson(g, wq, 2, "address protection")
	_, err := items.Handle(ctx, q, ids[0], "anne@aalborg.dk", "sent by post to 0101701234")
	g.Expect(err).NotTo(HaveOccurred())
	_, err = items.Retry(ctx, q, ids[1], "bo@aalborg.dk", json.RawMessage(`{"certificate":2}`), "")
	g.Expect(err).NotTo(HaveOccurred())
	for _, id := range ids {
		_, err := items.Erase(ctx, ns, id)
		g.Expect(err).NotTo(HaveOccurred())
	}

	var res cliResult
	g.Eventually(func() error {
		res = kubectlRobotQueue(t, ns, "", "audit", "--decisions", "--from", "2000-01-01", "--before", "2999-01-01", "-o", "csv")
		return res.err
	}, timeout, interval).Should(Succeed())
	lines := strings.Split(strings.TrimSpace(res.out), "\n")
	g.Expect(lines).To(HaveLen(3), res.out)
	g.Expect(lines[0]).To(Equal("time,namespace,queue,item,action,actor,from,to,payload_edited"))
	g.Expect(lines[1]).To(HaveSuffix(fmt.Sprintf(",%s,certificates,%d,Handle,anne@aalborg.dk,BusinessException,Handled,false", ns, ids[0])))
	g.Expect(lines[2]).To(HaveSuffix(fmt.Sprintf(",%s,certificates,%d,Retry,bo@aalborg.dk,BusinessException,New,true", ns, ids[1])))
	g.Expect(res.out).NotTo(ContainSubstring("0101701234"), "no comment, no payload")

	clientAs(t, ns, "process-owner", applyUserRole(t, "rpa_robot_viewer_role.yaml"))
	viewer := rest.CopyConfig(restCfg)
	viewer.Impersonate = rest.ImpersonationConfig{UserName: "process-owner"}
	// The role binding reaches kube-apiserver's authorizer a moment after
	// it is created: the first calls may be refused.
	var out bytes.Buffer
	g.Eventually(func() error {
		var errOut bytes.Buffer
		out.Reset()
		cmd := plugin.NewCommandForConfig(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, viewer, ns)
		cmd.SetArgs([]string{"audit", "--decisions", "--from", "2000-01-01", "--before", "2999-01-01"})
		if err := cmd.ExecuteContext(ctx); err != nil {
			return fmt.Errorf("a viewer exports the decisions: %w: %s", err, errOut.String())
		}
		return nil
	}, timeout, interval).Should(Succeed())
	g.Expect(strings.Split(strings.TrimSpace(out.String()), "\n")).To(HaveLen(3))
}

// itemsForAPerson adds n items to the queue and has a robot end each as
// a business exception with the reason, as certificate-journal would.
func itemsForAPerson(g Gomega, wq *rpav1alpha1.WorkQueue, n int, reason string) []int64 {
	ctx := context.Background()
	q := queuestatus.Queue(getWorkQueue(g, wq))
	ids := addItems(g, wq, n)
	holder := store.Holder{Run: "journal-1", Pod: "journal-1-abc", PodUID: "uid-journal-1"}
	robot := "system:serviceaccount:" + wq.Namespace + ":journal"
	for range ids {
		it, err := items.Take(ctx, q, robot, holder)
		g.Expect(err).NotTo(HaveOccurred())
		_, err = items.Complete(ctx, q, it.ID, robot, holder, store.Outcome{Action: workqueue.ActionBusinessException, Reason: reason})
		g.Expect(err).NotTo(HaveOccurred())
	}
	return ids
}
