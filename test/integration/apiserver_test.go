package integration

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/server/apiserver"
	"github.com/rpa-operator/rpa-operator/internal/server/itemsapi"
	"github.com/rpa-operator/rpa-operator/internal/server/queuestatus"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/store"
	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// serveAPI runs rpa-server's API server in the test process, with
// authentication and authorization delegated to envtest's kube-apiserver
// (TokenReview and SubjectAccessReview, as in a cluster), and returns its
// address.
func serveAPI(t *testing.T) string {
	t.Helper()
	g := NewWithT(t)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	g.Expect(writeKubeconfig(kubeconfig, restCfg)).To(Succeed())
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	g.Expect(err).NotTo(HaveOccurred())
	opts := apiserver.NewOptions()
	opts.SecureServing.Listener = listener
	opts.SecureServing.BindPort = listener.Addr().(*net.TCPAddr).Port
	opts.SecureServing.ServerCert.CertDirectory = t.TempDir()
	opts.Authentication.RemoteKubeConfigFile = kubeconfig
	opts.Authorization.RemoteKubeConfigFile = kubeconfig
	opts.Audit.LogOptions.Path = ""
	server, err := apiserver.New(opts, items, records, k8sClient)
	g.Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.PrepareRun().RunWithContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("rpa-server's API server: %v", err)
		}
	})
	return "https://" + listener.Addr().String()
}

func writeKubeconfig(path string, cfg *rest.Config) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
	kc.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "admin"}
	kc.CurrentContext = "envtest"
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return err
	}
	return os.Chmod(path, 0o600)
}

// queueClient talks to the API server as the holder of a bearer token.
func queueClient(g Gomega, address, token string) *rest.RESTClient {
	cfg := &rest.Config{
		Host: address, BearerToken: token, APIPath: "/apis",
		TLSClientConfig: rest.TLSClientConfig{Insecure: true},
		ContentConfig: rest.ContentConfig{
			GroupVersion: &queuev1alpha1.SchemeGroupVersion, NegotiatedSerializer: itemsapi.Codecs.WithoutConversion(),
		},
	}
	c, err := rest.RESTClientFor(cfg)
	g.Expect(err).NotTo(HaveOccurred())
	return c
}

// podToken is a ServiceAccount token bound to the pod, as the kubelet
// projects into a robot pod that uses a queue.
func podToken(g Gomega, ns, podName, podUID string) string {
	clientset, err := kubernetes.NewForConfig(restCfg)
	g.Expect(err).NotTo(HaveOccurred())
	tr, err := clientset.CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), robotServiceAccount, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{
			ExpirationSeconds: ptr.To[int64](600),
			BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: podName, UID: types.UID(podUID)},
		},
	}, metav1.CreateOptions{})
	g.Expect(err).NotTo(HaveOccurred())
	return tr.Status.Token
}

// TestARobotPodTakesAndCompletesAnItemThroughTheAPIServer: a robot pod's
// bound token is authenticated by kube-apiserver (TokenReview), its RBAC
// checked (SubjectAccessReview), and the pod it names found: the pod takes
// an item and reports it done over HTTPS. Without the RBAC grant it may
// not, and a caseworker lists the items with their own credentials.
func TestARobotPodTakesAndCompletesAnItemThroughTheAPIServer(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	address := serveAPI(t)
	wq := createWorkQueue(t, ns, "certificates", func(q *rpav1alpha1.WorkQueue) {
		q.Spec.Trigger = &rpav1alpha1.WorkQueueTrigger{RobotName: "journal"}
	})
	addItems(g, wq, 1)
	pod := runPodOf(g, ns, "journal", "journal-run-1")
	robot := queueClient(g, address, podToken(g, ns, pod.Name, string(pod.UID)))
	take := func() (*queuev1alpha1.WorkItem, error) {
		item := &queuev1alpha1.WorkItem{}
		err := robot.Post().Namespace(ns).Resource("queues").Name("certificates").SubResource("take").
			Body(&queuev1alpha1.WorkItemTake{TypeMeta: metav1.TypeMeta{APIVersion: queuev1alpha1.SchemeGroupVersion.String(), Kind: "WorkItemTake"}}).
			Do(ctx).Into(item)
		return item, err
	}

	_, err := take()
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "no RBAC grant yet: %v", err)

	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "journal-robot"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{queuev1alpha1.GroupName}, Resources: []string{"queues/take"}, ResourceNames: []string{"certificates"}, Verbs: []string{"create"}},
			{APIGroups: []string{queuev1alpha1.GroupName}, Resources: []string{"workitems/done"}, Verbs: []string{"create"}},
		},
	}
	g.Expect(k8sClient.Create(ctx, role)).To(Succeed())
	g.Expect(k8sClient.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "journal-robot"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: robotServiceAccount}},
	})).To(Succeed())

	var item *queuev1alpha1.WorkItem
	// The authorizer's decisions are cached for a few seconds.
	g.Eventually(func() error {
		var err error
		item, err = take()
		return err
	}, timeout, interval).Should(Succeed())
	g.Expect(item.Status.State).To(Equal("InProgress"))
	g.Expect(item.Status.HeldBy).To(Equal(&queuev1alpha1.ItemHolder{Run: "journal-run-1", Pod: pod.Name}))

	done := &queuev1alpha1.WorkItem{}
	g.Expect(robot.Post().Namespace(ns).Resource("workitems").Name(item.Name).SubResource("done").
		Body(&queuev1alpha1.WorkItemOutcome{TypeMeta: metav1.TypeMeta{APIVersion: queuev1alpha1.SchemeGroupVersion.String(), Kind: "WorkItemOutcome"}}).
		Do(ctx).Into(done)).To(Succeed())
	g.Expect(done.Status.State).To(Equal("Done"))

	// The robot may not list items (no grant); the cluster admin may.
	err = robot.Get().Namespace(ns).Resource("workitems").Do(ctx).Error()
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%v", err)
	adminCfg := rest.CopyConfig(restCfg)
	adminCfg.Host, adminCfg.CAData, adminCfg.APIPath = address, nil, "/apis"
	adminCfg.Insecure = true
	adminCfg.GroupVersion = &queuev1alpha1.SchemeGroupVersion
	adminCfg.NegotiatedSerializer = itemsapi.Codecs.WithoutConversion()
	admin, err := rest.RESTClientFor(adminCfg)
	g.Expect(err).NotTo(HaveOccurred())
	list := &queuev1alpha1.WorkItemList{}
	g.Expect(admin.Get().Namespace(ns).Resource("workitems").Param("fieldSelector", "status.state=Done").Do(ctx).Into(list)).To(Succeed())
	g.Expect(list.Items).To(HaveLen(1), fmt.Sprintf("%+v", list.Items))

	// kube-controller-manager's namespace controller and garbage collector
	// ask for protobuf first, with JSON as their fallback: they get JSON,
	// not an encoding error (which kept namespaces with items Terminating);
	// their metadata-only lists are meta.k8s.io's, which protobuf encodes.
	for accept, json := range map[string]bool{
		"application/vnd.kubernetes.protobuf, application/json":                                                true,
		"application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json": false,
	} {
		res := admin.Get().Namespace(ns).Resource("workitems").SetHeader("Accept", accept).Do(ctx)
		var status int
		res.StatusCode(&status)
		body, err := res.Raw()
		g.Expect(err).NotTo(HaveOccurred(), "Accept: %s", accept)
		g.Expect(status).To(Equal(http.StatusOK), "Accept: %s", accept)
		if json {
			g.Expect(string(body)).To(HavePrefix("{"), "Accept: %s answers JSON", accept)
		}
	}
}

// TestTheSDKWorksThroughAQueue: the robot SDK, with a pod's bound token,
// takes every item, hands one to people and fails one for a retry, then
// finds the queue empty; the items' states are as it reported them.
func TestTheSDKWorksThroughAQueue(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	address := serveAPI(t)
	wq := createWorkQueue(t, ns, "letters", func(q *rpav1alpha1.WorkQueue) {
		q.Spec.Robots = []string{"paula"}
	})
	addItems(g, wq, 3)
	pod := runPodOf(g, ns, "paula", "paula-run-1")
	grantQueueUse(g, ns)
	tokenFile := filepath.Join(t.TempDir(), "token")
	g.Expect(os.WriteFile(tokenFile, []byte(podToken(g, ns, pod.Name, string(pod.UID))), 0o600)).To(Succeed())
	base, err := url.Parse(address)
	g.Expect(err).NotTo(HaveOccurred())
	queue := &sdk.Queue{Name: "letters", Namespace: ns, Client: &sdk.Client{
		BaseURL: base,
		HTTP:    &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}, //nolint:gosec // the test server's self-signed certificate
		Token:   func() (string, error) { b, err := os.ReadFile(tokenFile); return string(b), err },
	}}

	var outcomes []string
	g.Eventually(func() error { // the authorizer sees the new RoleBinding a moment later
		_, err := queue.Next(ctx)
		return err
	}, timeout, interval).Should(Succeed())
	for i := 0; ; i++ {
		item, err := queue.Next(ctx)
		g.Expect(err).NotTo(HaveOccurred())
		if item == nil {
			break
		}
		var payload map[string]any
		g.Expect(item.Decode(&payload)).To(Succeed())
		switch i {
		case 0:
			g.Expect(queue.Done(ctx, item, map[string]string{"letter": "sent"})).To(Succeed())
			// Reporting it again, as after a lost answer, is harmless.
			g.Expect(queue.Done(ctx, item, nil)).To(Succeed())
			outcomes = append(outcomes, "Done")
		case 1:
			g.Expect(queue.BusinessException(ctx, item, "no address", nil)).To(Succeed())
			outcomes = append(outcomes, "BusinessException")
		default:
			g.Expect(queue.SystemException(ctx, item, errors.New("Digital Post answered 503"))).To(Succeed())
			outcomes = append(outcomes, "SystemException")
		}
		g.Expect(i).To(BeNumerically("<", 3), "more items than were added")
	}
	g.Expect(outcomes).To(Equal([]string{"Done", "BusinessException", "SystemException"}))
	states := map[string]int{}
	list, err := items.List(ctx, store.ListOptions{Namespace: ns, Queue: "letters"})
	g.Expect(err).NotTo(HaveOccurred())
	for _, it := range list {
		states[string(it.State)]++
	}
	g.Expect(states).To(Equal(map[string]int{"Done": 1, "BusinessException": 1, "New": 1}), "the system exception waits for its retry")
}

// grantQueueUse gives a robot's ServiceAccount the work-item API's robot
// verbs in the namespace.
func grantQueueUse(g Gomega, ns string) {
	ctx := context.Background()
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "queue-robot"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{queuev1alpha1.GroupName},
			Resources: []string{"queues/take", "workitems/done", "workitems/businessexception", "workitems/systemexception"},
			Verbs:     []string{"create"}}},
	}
	g.Expect(k8sClient.Create(ctx, role)).To(Succeed())
	g.Expect(k8sClient.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "queue-robot"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: robotServiceAccount}},
	})).To(Succeed())
}

// registerAPIService puts rpa-server's API behind envtest's kube-apiserver
// as config/ will in a cluster: an APIService for queue.rpa.dev/v1alpha1
// backed by a Service. The Service is an ExternalName for localhost, as
// Endpoints may not point at loopback addresses.
func registerAPIService(t *testing.T, address string) {
	t.Helper()
	g := NewWithT(t)
	ctx := context.Background()
	u, err := url.Parse(address)
	g.Expect(err).NotTo(HaveOccurred())
	port, err := strconv.Atoi(u.Port())
	g.Expect(err).NotTo(HaveOccurred())
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: managerNamespace, Name: "rpa-server-test"},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "localhost"},
	}
	g.Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, svc))).To(Succeed())
	for _, group := range []string{queuev1alpha1.GroupName, recordsv1alpha1.GroupName} {
		apiService := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
			"metadata": map[string]any{"name": "v1alpha1." + group},
			"spec": map[string]any{
				"group": group, "version": "v1alpha1",
				"service":               map[string]any{"namespace": managerNamespace, "name": svc.Name, "port": int64(port)},
				"insecureSkipTLSVerify": true, "groupPriorityMinimum": int64(1000), "versionPriority": int64(15),
			},
		}}
		g.Expect(k8sClient.Create(ctx, apiService)).To(Succeed())
		t.Cleanup(func() { _ = k8sClient.Delete(context.Background(), apiService) })
		g.Eventually(func(g Gomega) {
			got := &unstructured.Unstructured{}
			got.SetAPIVersion("apiregistration.k8s.io/v1")
			got.SetKind("APIService")
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Name: apiService.GetName()}, got)).To(Succeed())
			conditions, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
			available := false
			for _, c := range conditions {
				if m, ok := c.(map[string]any); ok && m["type"] == "Available" && m["status"] == "True" {
					available = true
				}
			}
			g.Expect(available).To(BeTrue(), "APIService conditions %v", conditions)
		}, timeout, interval).Should(Succeed())
	}
}

// TestWorkItemsThroughKubeAPIServer: with the APIService registered,
// kube-apiserver authenticates and authorizes, then proxies to rpa-server
// with the identity in front-proxy headers: a robot pod's bound token
// takes an item (its pod's name and UID reach rpa-server as extra info),
// and the admin lists the items as kubectl would.
func TestWorkItemsThroughKubeAPIServer(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	registerAPIService(t, serveAPI(t))
	wq := createWorkQueue(t, ns, "mail", func(q *rpav1alpha1.WorkQueue) { q.Spec.Robots = []string{"per"} })
	addItems(g, wq, 1)
	pod := runPodOf(g, ns, "per", "per-run-1")
	grantQueueUse(g, ns)

	through := func(token string) *rest.RESTClient {
		cfg := rest.CopyConfig(restCfg)
		if token != "" {
			cfg.CertData, cfg.KeyData, cfg.BearerToken = nil, nil, token
		}
		cfg.APIPath, cfg.GroupVersion = "/apis", &queuev1alpha1.SchemeGroupVersion
		cfg.NegotiatedSerializer = itemsapi.Codecs.WithoutConversion()
		c, err := rest.RESTClientFor(cfg)
		g.Expect(err).NotTo(HaveOccurred())
		return c
	}
	robot := through(podToken(g, ns, pod.Name, string(pod.UID)))
	item := &queuev1alpha1.WorkItem{}
	g.Eventually(func() error {
		return robot.Post().Namespace(ns).Resource("queues").Name("mail").SubResource("take").
			Body(&queuev1alpha1.WorkItemTake{TypeMeta: metav1.TypeMeta{APIVersion: queuev1alpha1.SchemeGroupVersion.String(), Kind: "WorkItemTake"}}).
			Do(ctx).Into(item)
	}, timeout, interval).Should(Succeed())
	g.Expect(item.Status.HeldBy).To(Equal(&queuev1alpha1.ItemHolder{Run: "per-run-1", Pod: pod.Name}))

	table := &metav1.Table{}
	g.Expect(through("").Get().Namespace(ns).Resource("workitems").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").Do(ctx).Into(table)).To(Succeed())
	g.Expect(table.Rows).To(HaveLen(1))
	g.Expect(table.Rows[0].Cells[1:3]).To(Equal([]any{"mail", "InProgress"}))
}

// TestProcessQueueReportsEachOutcome: the SDK's work-item loop on a real
// queue reports what Handle returned: Done with the robot's output, a
// business exception with its reason, a system exception that, on a queue
// of one attempt, fails the item; and it ends when the queue is empty.
func TestProcessQueueReportsEachOutcome(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	address := serveAPI(t)
	wq := createWorkQueue(t, ns, "letters", func(q *rpav1alpha1.WorkQueue) {
		q.Spec.Robots = []string{"paula"}
		q.Spec.MaxAttempts = 1
	})
	addItems(g, wq, 4)
	pod := runPodOf(g, ns, "paula", "paula-run-2")
	grantQueueUse(g, ns)
	token := podToken(g, ns, pod.Name, string(pod.UID))
	base, err := url.Parse(address)
	g.Expect(err).NotTo(HaveOccurred())
	queue := &sdk.Queue{Name: "letters", Namespace: ns, Client: &sdk.Client{
		BaseURL: base,
		HTTP:    &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}, //nolint:gosec // the test server's self-signed certificate
		Token:   func() (string, error) { return token, nil },
	}}
	g.Eventually(func() error { // the authorizer sees the new RoleBinding a moment later
		_, err := queue.Next(ctx)
		return err
	}, timeout, interval).Should(Succeed())

	outcomes := map[string]error{
		"cert-0": nil,
		"cert-1": sdk.BusinessExceptionf("no address in CPR"),
		"cert-2": errors.New("Digital Post answered 503"),
		"cert-3": nil,
	}
	tally, err := sdk.ProcessQueue(ctx, queue, sdk.Loop[*sdk.WorkItem]{
		MaxConsecutiveFailures: -1,
		Handle: func(_ context.Context, _ *slog.Logger, item *sdk.WorkItem) error {
			item.Output = map[string]string{"letter": "sent to " + item.Reference}
			return outcomes[item.Reference]
		},
	})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(tally).To(Equal(sdk.Tally{Processed: 4, Succeeded: 2, BusinessExceptions: 1, Failed: 1}))

	list, err := items.List(ctx, store.ListOptions{Namespace: ns, Queue: "letters"})
	g.Expect(err).NotTo(HaveOccurred())
	byRef := map[string]store.Item{}
	for _, it := range list {
		byRef[it.Reference] = it
	}
	g.Expect(byRef["cert-0"].State).To(BeEquivalentTo("Done"))
	g.Expect(string(byRef["cert-0"].Output)).To(MatchJSON(`{"letter": "sent to cert-0"}`))
	g.Expect(byRef["cert-1"].State).To(BeEquivalentTo("BusinessException"))
	g.Expect(byRef["cert-1"].Reason).To(Equal("no address in CPR"))
	g.Expect(byRef["cert-2"].State).To(BeEquivalentTo("Failed"), "one attempt only")
	g.Expect(byRef["cert-2"].Reason).To(ContainSubstring("Digital Post answered 503"))
	g.Expect(byRef["cert-3"].State).To(BeEquivalentTo("Done"))
}

// TestACitizensItemsAreFoundByReferenceAndErased: through kube-apiserver,
// as kubectl would, an editor lists a citizen's items by reference and
// deletes them; the item is gone, its reference still refused, and an item
// a robot holds is refused with the pod named. A viewer may not list
// items, a runner may but may not erase them.
func TestACitizensItemsAreFoundByReferenceAndErased(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	registerAPIService(t, serveAPI(t))
	wq := createWorkQueue(t, ns, "letters", func(q *rpav1alpha1.WorkQueue) {
		q.Spec.UniqueReferences = true
		q.Spec.Robots = []string{"paula"}
	})
	q := queuestatus.Queue(getWorkQueue(g, wq))
	added, err := items.Add(ctx, q, "anne@herning.dk", []store.NewItem{
		{Reference: "0101701234", Payload: json.RawMessage(`{"cpr":"0101701234"}`)},
		{Reference: "0202802345", Payload: json.RawMessage(`{"cpr":"0202802345"}`)},
	})
	g.Expect(err).NotTo(HaveOccurred())
	// People as kube-apiserver authenticates them, with the shipped roles
	// bound in the namespace (impersonated, as clientAs does).
	as := func(user, roleFile string) *rest.RESTClient {
		clientAs(t, ns, user, applyUserRole(t, roleFile))
		cfg := rest.CopyConfig(restCfg)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
		cfg.APIPath, cfg.GroupVersion = "/apis", &queuev1alpha1.SchemeGroupVersion
		cfg.NegotiatedSerializer = itemsapi.Codecs.WithoutConversion()
		c, err := rest.RESTClientFor(cfg)
		g.Expect(err).NotTo(HaveOccurred())
		return c
	}
	admin := as("dpo@herning.dk", "rpa_robot_editor_role.yaml")
	caseworker := as("anne@herning.dk", "rpa_robot_runner_role.yaml")
	owner := as("process-owner@herning.dk", "rpa_robot_viewer_role.yaml")

	list := &queuev1alpha1.WorkItemList{}
	g.Eventually(func() error {
		return admin.Get().Namespace(ns).Resource("workitems").Param("fieldSelector", "spec.reference=0101701234").Do(ctx).Into(list)
	}, timeout, interval).Should(Succeed())
	g.Expect(list.Items).To(HaveLen(1))
	g.Expect(list.Items[0].Name).To(Equal(strconv.FormatInt(added[0].Item.ID, 10)))
	err = owner.Get().Namespace(ns).Resource("workitems").Do(ctx).Error()
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "a viewer lists items: %v", err)
	g.Expect(caseworker.Get().Namespace(ns).Resource("workitems").Do(ctx).Error()).To(Succeed(), "a runner lists items")
	err = caseworker.Delete().Namespace(ns).Resource("workitems").Name(list.Items[0].Name).Do(ctx).Error()
	g.Expect(apierrors.IsForbidden(err)).To(BeTrue(), "a runner erases an item: %v", err)
	g.Expect(admin.Delete().Namespace(ns).Resource("workitems").Name(list.Items[0].Name).Do(ctx).Error()).To(Succeed())
	err = admin.Get().Namespace(ns).Resource("workitems").Name(list.Items[0].Name).Do(ctx).Error()
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%v", err)
	again, err := items.Add(ctx, q, "anne@herning.dk", []store.NewItem{{Reference: "0101701234", Payload: json.RawMessage(`{}`)}})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again[0].Existing).To(BeTrue(), "the erased reference is still refused")

	pod := runPodOf(g, ns, "paula", "paula-run-3")
	holder := store.Holder{Run: "paula-run-3", Pod: pod.Name, PodUID: string(pod.UID)}
	held, err := items.Take(ctx, q, "robot", holder)
	g.Expect(err).NotTo(HaveOccurred())
	err = admin.Delete().Namespace(ns).Resource("workitems").Name(strconv.FormatInt(held.ID, 10)).Do(ctx).Error()
	g.Expect(apierrors.IsConflict(err)).To(BeTrue(), "%v", err)
	g.Expect(err.Error()).To(ContainSubstring("pod " + pod.Name + " is working on item"))
}

// TestAProducerRobotAddsItemsWithTheSDK: a robot the queue names in
// spec.robots adds items with its pod's token; adding a reference again
// finds the item the first add made; a robot the queue does not name may
// not add.
func TestAProducerRobotAddsItemsWithTheSDK(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	address := serveAPI(t)
	createWorkQueue(t, ns, "mail", func(q *rpav1alpha1.WorkQueue) {
		q.Spec.UniqueReferences = true
		q.Spec.Robots = []string{"mailbox-reader"}
	})
	grantQueueUse(g, ns)
	g.Expect(k8sClient.Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "queue-producer"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{queuev1alpha1.GroupName}, Resources: []string{"workitems"}, Verbs: []string{"create"}}},
	})).To(Succeed())
	g.Expect(k8sClient.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "queue-producer"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "queue-producer"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: robotServiceAccount}},
	})).To(Succeed())
	base, err := url.Parse(address)
	g.Expect(err).NotTo(HaveOccurred())
	queueAs := func(robot string) *sdk.Queue {
		pod := runPodOf(g, ns, robot, robot+"-run-1")
		token := podToken(g, ns, pod.Name, string(pod.UID))
		return &sdk.Queue{Name: "mail", Namespace: ns, Client: &sdk.Client{
			BaseURL: base,
			HTTP:    &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}, //nolint:gosec // the test server's self-signed certificate
			Token:   func() (string, error) { return token, nil },
		}}
	}
	producer := queueAs("mailbox-reader")
	mail := sdk.NewItem{Reference: "mail-2026-12-02-0001", Payload: map[string]string{"subject": "Flytning"}}
	var first sdk.Added
	g.Eventually(func() error { // the authorizer sees the new RoleBinding a moment later
		first, err = producer.Add(ctx, mail)
		return err
	}, timeout, interval).Should(Succeed())
	g.Expect(first.ID).NotTo(BeEmpty())
	g.Expect(first.Existing).To(BeFalse())
	again, err := producer.Add(ctx, mail)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again).To(Equal(sdk.Added{ID: first.ID, Existing: true}))
	_, err = producer.Add(ctx, sdk.NewItem{Payload: []string{"not", "an", "object"}})
	g.Expect(sdk.StatusOf(err)).To(Equal(http.StatusBadRequest), "%v", err)

	_, err = queueAs("olli").Add(ctx, sdk.NewItem{Payload: map[string]string{}})
	g.Expect(sdk.StatusOf(err)).To(Equal(http.StatusForbidden), "%v", err)
	g.Expect(err.Error()).To(ContainSubstring("robot olli may not use queue mail"))
}
