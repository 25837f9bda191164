package integration

import (
	"context"
	"encoding/json"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/endpoints/request"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/server/itemsapi"
	"github.com/rpa-operator/rpa-operator/internal/workqueue"
)

// The work-item API's storage, called as the aggregation layer calls it:
// with the user kube-apiserver authenticated in the request context. The
// cluster it checks pods and queues against is the envtest apiserver.

func asPerson(ns, name string) context.Context {
	ctx := request.WithNamespace(context.Background(), ns)
	return request.WithUser(ctx, &user.DefaultInfo{Name: name, Groups: []string{"system:authenticated"}})
}

// asPod is a request with a pod-bound ServiceAccount token's identity.
func asPod(pod *corev1.Pod) context.Context {
	ctx := request.WithNamespace(context.Background(), pod.Namespace)
	return request.WithUser(ctx, &user.DefaultInfo{
		Name:   serviceaccount.MakeUsername(pod.Namespace, pod.Spec.ServiceAccountName),
		Groups: []string{"system:serviceaccounts", "system:authenticated"},
		Extra: map[string][]string{
			serviceaccount.PodNameKey: {pod.Name}, serviceaccount.PodUIDKey: {string(pod.UID)},
		},
	})
}

// runPodOf creates the pod of a run of robot, as the Job controller would:
// labelled as the operator's (rpa-server watches it) and as the robot's.
// robotServiceAccount is the ServiceAccount the tests' robot pods run as.
const robotServiceAccount = "robot"

func runPodOf(g Gomega, ns, robot, run string) *corev1.Pod {
	_ = k8sClient.Create(context.Background(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: robotServiceAccount}})
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: run + "-pod",
			Labels:      map[string]string{rpav1alpha1.LabelManagedBy: rpav1alpha1.ManagedBy, rpav1alpha1.LabelRobot: robot},
			Annotations: map[string]string{rpav1alpha1.AnnotationRunName: run},
		},
		Spec: corev1.PodSpec{ServiceAccountName: robotServiceAccount, Containers: []corev1.Container{{Name: "robot", Image: robotImage}}},
	}
	g.Expect(k8sClient.Create(context.Background(), pod)).To(Succeed())
	return pod
}

func workItemBody(queue, reference, payload string) *queuev1alpha1.WorkItem {
	return &queuev1alpha1.WorkItem{Spec: queuev1alpha1.WorkItemSpec{
		Queue: queue, Reference: reference, Payload: runtime.RawExtension{Raw: []byte(payload)},
	}}
}

func TestWorkItemAPIAddsListsTakesAndCompletes(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	createWorkQueue(t, ns, "certificates", func(q *rpav1alpha1.WorkQueue) {
		q.Spec.UniqueReferences = true
		q.Spec.Trigger = &rpav1alpha1.WorkQueueTrigger{RobotName: "journal"}
	})
	itemsStorage := &itemsapi.ItemStorage{Items: items, Cluster: k8sClient}
	create := &metav1.CreateOptions{}

	// A caseworker adds two items; adding one again returns it.
	anne := asPerson(ns, "anne@aalborg.dk")
	first, err := itemsStorage.Create(anne, workItemBody("certificates", "0101701234", `{"cpr":"0101701234"}`), nil, create)
	g.Expect(err).NotTo(HaveOccurred())
	added := first.(*queuev1alpha1.WorkItem)
	g.Expect(added.Status.State).To(Equal("New"))
	g.Expect(added.Status.CreatedBy).To(Equal("anne@aalborg.dk"), "the authenticated user, not anything the body says")
	_, err = itemsStorage.Create(anne, workItemBody("certificates", "0202802345", `{"cpr":"0202802345"}`), nil, create)
	g.Expect(err).NotTo(HaveOccurred())
	again, err := itemsStorage.Create(anne, workItemBody("certificates", "0101701234", `{}`), nil, create)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again.(*queuev1alpha1.WorkItem).Name).To(Equal(added.Name))
	g.Expect(again.(*queuev1alpha1.WorkItem).Annotations).To(HaveKeyWithValue("queue.rpa.dev/existing", "true"))

	// kubectl get workitems --field-selector spec.queue=certificates,status.state=New
	selector := fields.SelectorFromSet(fields.Set{itemsapi.FieldQueue: "certificates", itemsapi.FieldState: "New"})
	listed, err := itemsStorage.List(anne, &metainternalversion.ListOptions{FieldSelector: selector})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(listed.(*queuev1alpha1.WorkItemList).Items).To(HaveLen(2))
	table, err := itemsStorage.ConvertToTable(anne, listed, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(table.Rows).To(HaveLen(2))
	g.Expect(table.Rows[0].Cells[1:4]).To(Equal([]any{"certificates", "New", "0101701234"}))

	// The trigger's robot takes the first and reports it done.
	pod := runPodOf(g, ns, "journal", "journal-run-1")
	take := &itemsapi.TakeStorage{Items: items, Cluster: k8sClient}
	taken, err := take.Create(asPod(pod), "certificates", &queuev1alpha1.WorkItemTake{}, nil, create)
	g.Expect(err).NotTo(HaveOccurred())
	held := taken.(*queuev1alpha1.WorkItem)
	g.Expect(held.Name).To(Equal(added.Name))
	g.Expect(held.Status.HeldBy).To(Equal(&queuev1alpha1.ItemHolder{Run: "journal-run-1", Pod: pod.Name}))
	done := &itemsapi.OutcomeStorage{Items: items, Cluster: k8sClient, Action: workqueue.ActionDone}
	out, err := done.Create(asPod(pod), held.Name, &queuev1alpha1.WorkItemOutcome{Output: &runtime.RawExtension{Raw: []byte(`{"journal":"2026-4711"}`)}}, nil, create)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(out.(*queuev1alpha1.WorkItem).Status.State).To(Equal("Done"))

	// The second ends in a business exception; a caseworker handles it.
	second, err := take.Create(asPod(pod), "certificates", &queuev1alpha1.WorkItemTake{}, nil, create)
	g.Expect(err).NotTo(HaveOccurred())
	flag := &itemsapi.OutcomeStorage{Items: items, Cluster: k8sClient, Action: workqueue.ActionBusinessException}
	_, err = flag.Create(asPod(pod), second.(*queuev1alpha1.WorkItem).Name, &queuev1alpha1.WorkItemOutcome{Reason: "a remark on the certificate"}, nil, create)
	g.Expect(err).NotTo(HaveOccurred())
	handle := &itemsapi.DecisionStorage{Items: items, Cluster: k8sClient, Action: workqueue.ActionHandle}
	handled, err := handle.Create(anne, second.(*queuev1alpha1.WorkItem).Name, &queuev1alpha1.WorkItemDecision{Comment: "sent to HR"}, nil, create)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(handled.(*queuev1alpha1.WorkItem).Status.State).To(Equal("Handled"))

	// Nothing waits now: take says so.
	_, err = take.Create(asPod(pod), "certificates", &queuev1alpha1.WorkItemTake{}, nil, create)
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)
	g.Expect(err).To(MatchError(ContainSubstring("no item of queue certificates waits")))
}

// TestWorkItemAPIRefusesWhatItMust: every refusal is a clear error and
// changes nothing.
func TestWorkItemAPIRefusesWhatItMust(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	createWorkQueue(t, ns, "mail", func(q *rpav1alpha1.WorkQueue) {
		q.Spec.Trigger = &rpav1alpha1.WorkQueueTrigger{RobotName: "per"}
	})
	itemsStorage := &itemsapi.ItemStorage{Items: items, Cluster: k8sClient}
	take := &itemsapi.TakeStorage{Items: items, Cluster: k8sClient}
	done := &itemsapi.OutcomeStorage{Items: items, Cluster: k8sClient, Action: workqueue.ActionDone}
	create := &metav1.CreateOptions{}
	anne := asPerson(ns, "anne@herning.dk")
	added, err := itemsStorage.Create(anne, workItemBody("mail", "", `{"from":"borger@example.dk"}`), nil, create)
	g.Expect(err).NotTo(HaveOccurred())
	id := added.(*queuev1alpha1.WorkItem).Name

	per := runPodOf(g, ns, "per", "per-run-1")
	stranger := runPodOf(g, ns, "paula", "paula-run-1")
	forged := per.DeepCopy()
	forged.UID = "not-the-pods-uid"
	otherNs := newNamespace(t)

	refusals := []struct {
		name  string
		call  func() error
		check func(error) bool
		says  string
	}{
		{"a payload that is not JSON", func() error {
			_, err := itemsStorage.Create(anne, workItemBody("mail", "", `{"from":`), nil, create)
			return err
		}, apierrors.IsBadRequest, "not valid JSON"},
		{"a queue that does not exist", func() error {
			_, err := itemsStorage.Create(anne, workItemBody("nowhere", "", `{}`), nil, create)
			return err
		}, apierrors.IsNotFound, "nowhere"},
		{"a person taking an item", func() error {
			_, err := take.Create(anne, "mail", &queuev1alpha1.WorkItemTake{}, nil, create)
			return err
		}, apierrors.IsForbidden, "only a robot run's pod takes items"},
		{"a pod of a robot the queue does not allow", func() error {
			_, err := take.Create(asPod(stranger), "mail", &queuev1alpha1.WorkItemTake{}, nil, create)
			return err
		}, apierrors.IsForbidden, "robot paula may not use queue mail"},
		{"a token whose pod UID is not the pod's", func() error {
			_, err := take.Create(asPod(forged), "mail", &queuev1alpha1.WorkItemTake{}, nil, create)
			return err
		}, apierrors.IsForbidden, "does not belong to pod"},
		{"completing an item nobody holds", func() error {
			_, err := done.Create(asPod(per), id, &queuev1alpha1.WorkItemOutcome{}, nil, create)
			return err
		}, apierrors.IsConflict, "not possible for an item in state New"},
		{"a person reporting an outcome", func() error {
			_, err := done.Create(anne, id, &queuev1alpha1.WorkItemOutcome{}, nil, create)
			return err
		}, apierrors.IsForbidden, "only the robot pod holding an item"},
		{"an item of another namespace", func() error {
			_, err := itemsStorage.Get(asPerson(otherNs, "anne@herning.dk"), id, &metav1.GetOptions{})
			return err
		}, apierrors.IsNotFound, id},
	}
	for _, r := range refusals {
		err := r.call()
		g.Expect(r.check(err)).To(BeTrue(), "%s: %v", r.name, err)
		g.Expect(err).To(MatchError(ContainSubstring(r.says)), r.name)
	}

	// The allowed pod takes the item; another allowed pod cannot complete it.
	_, err = take.Create(asPod(per), "mail", &queuev1alpha1.WorkItemTake{}, nil, create)
	g.Expect(err).NotTo(HaveOccurred())
	other := runPodOf(g, ns, "per", "per-run-2")
	_, err = done.Create(asPod(other), id, &queuev1alpha1.WorkItemOutcome{}, nil, create)
	g.Expect(apierrors.IsConflict(err)).To(BeTrue(), "%v", err)
	g.Expect(err).To(MatchError(ContainSubstring("held by run per-run-1")))
	got, err := itemsStorage.Get(anne, id, &metav1.GetOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(got.(*queuev1alpha1.WorkItem).Status.State).To(Equal("InProgress"))
	var payload map[string]string
	g.Expect(json.Unmarshal(got.(*queuev1alpha1.WorkItem).Spec.Payload.Raw, &payload)).To(Succeed())
	g.Expect(payload).To(HaveKeyWithValue("from", "borger@example.dk"))
}
