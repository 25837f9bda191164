package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/workqueue"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/store"
)

// The console's queue page beyond one item's retry and handle
// (console_test.go): edit and retry, bulk decisions, and adding items
// from a file, each made as the signed-in user against rpa-server behind
// envtest's kube-apiserver, with the items in real PostgreSQL.

// consoleQueue is a namespace with a queue served by rpa-server, the
// console showing it, and a caseworker (the shipped runner role) signed
// in.
type consoleQueue struct {
	ns, name   string
	page       string
	wq         *rpav1alpha1.WorkQueue
	ts         *httptest.Server
	caseworker *http.Client
	// csrf is the caseworker's session's token, from the queue page.
	csrf string
}

func newConsoleQueue(t *testing.T, g Gomega, name string, mutate func(*rpav1alpha1.WorkQueue)) *consoleQueue {
	t.Helper()
	ns := newNamespace(t)
	registerAPIService(t, serveAPI(t))
	q := &consoleQueue{ns: ns, name: name, wq: createWorkQueue(t, ns, name, mutate), ts: serveConsole(t, ns)}
	q.page = q.ts.URL + q.path("")
	q.caseworker = signIn(t, q.ts, userToken(t, ns, "caseworker", "rpa_robot_runner_role.yaml"))
	var status int
	var body string
	g.Eventually(func() int {
		status, body = get(g, q.caseworker, q.page, "en")
		return status
	}, timeout, interval).Should(Equal(http.StatusOK), "the work-item API is served")
	q.csrf = csrfOf(g, body)
	return q
}

// path is a console path under the queue's.
func (q *consoleQueue) path(rest string) string {
	return "/namespaces/" + q.ns + "/queues/" + q.name + rest
}

func (q *consoleQueue) caseworkerName() string {
	return "system:serviceaccount:" + q.ns + ":caseworker"
}

// storedItem reads an item from the database, as rpa-server keeps it.
func storedItem(g Gomega, ns string, id int64) *store.Item {
	it, err := items.Get(context.Background(), ns, id)
	g.Expect(err).NotTo(HaveOccurred())
	return it
}

// lastDecision is the last entry of an item's history.
func lastDecision(g Gomega, ns string, id int64) store.HistoryEntry {
	history, err := items.History(context.Background(), ns, id)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(history).NotTo(BeEmpty())
	return history[len(history)-1]
}

// postFile submits a multipart form with one file, as the console's
// upload form does (same origin).
func postFile(g Gomega, c *http.Client, ts *httptest.Server, path string, fields url.Values, fileName, content string) (int, string) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			g.Expect(mw.WriteField(k, v)).To(Succeed())
		}
	}
	fw, err := mw.CreateFormFile("file", fileName)
	g.Expect(err).NotTo(HaveOccurred())
	_, err = fw.Write([]byte(content))
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(mw.Close()).To(Succeed())
	req, err := http.NewRequest(http.MethodPost, ts.URL+path, &body)
	g.Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", ts.URL)
	resp, err := c.Do(req)
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	got, err := io.ReadAll(resp.Body)
	g.Expect(err).NotTo(HaveOccurred())
	return resp.StatusCode, string(got)
}

// TestConsoleQueueEditAndRetryChangesThePayloadAsTheCaseworker: an item
// waiting for a person shows its payload, indented, in a labelled
// textarea; a payload that is not a JSON object, or too large, is told in
// the user's language with their text kept, and nothing is sent; a good
// one retries the item with it, as the caseworker; an item that no
// longer waits is refused in the API's words.
func TestConsoleQueueEditAndRetryChangesThePayloadAsTheCaseworker(t *testing.T) {
	g := NewWithT(t)
	q := newConsoleQueue(t, g, "certificates", nil)
	ids := itemsForAPerson(g, q.wq, 1, "the address is unknown")
	id := ids[0]
	itemPage := q.ts.URL + q.path(fmt.Sprintf("/items/%d", id))
	edit := q.path(fmt.Sprintf("/items/%d/edit", id))

	_, body := get(g, q.caseworker, q.page, "en")
	g.Expect(body).To(ContainSubstring(fmt.Sprintf(`href="%s"`, q.path(fmt.Sprintf("/items/%d", id)))), "the inbox links the item")
	g.Expect(body).To(ContainSubstring("Edit and retry"))

	status, body := get(g, q.caseworker, itemPage, "en")
	g.Expect(status).To(Equal(http.StatusOK), body)
	g.Expect(body).To(ContainSubstring(`<label for="payload">Payload (JSON)</label>`), "a labelled textarea")
	g.Expect(body).To(ContainSubstring("{\n  &#34;certificate&#34;: 1\n}</textarea>"), "the payload, indented and escaped")
	g.Expect(body).To(ContainSubstring("the address is unknown"), "the robot's reason")

	typed := "{\n  \"certificate\": 1,\n  \"address\" \"Vestergade 1\"\n}"
	status, body = post(g, q.caseworker, q.ts, edit, url.Values{"csrf": {q.csrf}, "payload": {typed}, "comment": {"address found"}})
	g.Expect(status).To(Equal(http.StatusBadRequest), body)
	g.Expect(body).To(ContainSubstring("Data er ikke gyldig JSON: se linje 3, tegn 13."), "told where, in Danish (the POST carries no Accept-Language)")
	g.Expect(body).To(ContainSubstring("&#34;address&#34; &#34;Vestergade 1&#34;\n}</textarea>"), "the text typed stays")
	g.Expect(body).To(ContainSubstring(`value="address found"`), "the comment stays")
	g.Expect(body).To(ContainSubstring(`aria-invalid="true"`))

	status, body = post(g, q.caseworker, q.ts, edit, url.Values{"csrf": {q.csrf}, "payload": {`["Vestergade 1"]`}})
	g.Expect(status).To(Equal(http.StatusBadRequest), body)
	g.Expect(body).To(ContainSubstring("Data skal være et JSON-objekt"))
	large := `{"note":"` + strings.Repeat("a", workqueue.MaxPayloadBytes) + `"}`
	status, body = post(g, q.caseworker, q.ts, edit, url.Values{"csrf": {q.csrf}, "payload": {large}})
	g.Expect(status).To(Equal(http.StatusBadRequest))
	g.Expect(body).To(ContainSubstring("Data fylder 65 KiB; højst 64 KiB er tilladt."))
	unchanged := storedItem(g, q.ns, id)
	g.Expect(unchanged.State).To(Equal(workqueue.BusinessException), "nothing was sent")
	g.Expect(string(unchanged.Payload)).To(MatchJSON(`{"certificate":1}`))

	typed = "{\n  \"certificate\": 1,\n  \"address\": \"Vestergade 1, 7400 Herning\"\n}"
	status, body = post(g, q.caseworker, q.ts, edit, url.Values{"csrf": {q.csrf}, "payload": {typed}, "comment": {"address found in CPR"}})
	g.Expect(status).To(Equal(http.StatusOK), body)
	retried := storedItem(g, q.ns, id)
	g.Expect(retried.State).To(Equal(workqueue.New), "back in the queue for the robot")
	g.Expect(string(retried.Payload)).To(MatchJSON(`{"certificate":1,"address":"Vestergade 1, 7400 Herning"}`))
	last := lastDecision(g, q.ns, id)
	g.Expect(last.Action).To(Equal(workqueue.ActionRetry))
	g.Expect(last.Actor).To(Equal(q.caseworkerName()), "retried as the caseworker")
	g.Expect(last.Detail).To(ContainSubstring("address found in CPR"))

	status, body = post(g, q.caseworker, q.ts, edit, url.Values{"csrf": {q.csrf}, "payload": {`{"certificate":2}`}})
	g.Expect(status).To(Equal(http.StatusConflict), "an item that waits no longer: %s", body)
	g.Expect(body).To(ContainSubstring("Forespørgslen blev afvist:"))
	g.Expect(body).To(ContainSubstring("state New"), "the API's own words")
	_, body = get(g, q.caseworker, itemPage, "en")
	g.Expect(body).NotTo(ContainSubstring("<textarea"), "no form for an item that does not wait for a person")
	g.Expect(body).To(ContainSubstring("Only an item that waits for a person can be edited and retried."))
}

// TestConsoleQueueBulkHandleReportsEveryItem: the inbox's rows have
// labelled checkboxes; three items marked handled with one comment, one
// of them not waiting for a person, are each reported, done or refused
// with the API's reason, and the two that waited are handled as the
// caseworker; a selection without a comment, without items or beyond the
// bound is refused before anything is sent.
func TestConsoleQueueBulkHandleReportsEveryItem(t *testing.T) {
	g := NewWithT(t)
	q := newConsoleQueue(t, g, "certificates", nil)
	waiting := itemsForAPerson(g, q.wq, 2, "address protection")
	taken := addItems(g, q.wq, 1)[0]

	_, body := get(g, q.caseworker, q.page, "en")
	for _, id := range waiting {
		g.Expect(body).To(ContainSubstring(fmt.Sprintf(`<input type="checkbox" id="select-%d" name="item" value="%d" form="bulk"><label for="select-%d" class="visually-hidden">Select item %d, reference cert-`, id, id, id, id)))
	}
	g.Expect(body).To(ContainSubstring("Mark selected handled"))
	g.Expect(body).To(ContainSubstring("At most 200 items at a time."))
	bulk := q.path("/bulk")
	selected := []string{strconv.FormatInt(waiting[0], 10), strconv.FormatInt(taken, 10), strconv.FormatInt(waiting[1], 10)}

	status, body := post(g, q.caseworker, q.ts, bulk, url.Values{"csrf": {q.csrf}, "action": {"handle"}, "item": selected})
	g.Expect(status).To(Equal(http.StatusBadRequest), body)
	g.Expect(body).To(ContainSubstring("en kommentar er nødvendig"))
	status, body = post(g, q.caseworker, q.ts, bulk, url.Values{"csrf": {q.csrf}, "action": {"handle"}, "comment": {"sent by post"}})
	g.Expect(status).To(Equal(http.StatusBadRequest), body)
	g.Expect(body).To(ContainSubstring("Ingen sager var valgt"))
	tooMany := make([]string, 0, 201)
	for i := range 201 {
		tooMany = append(tooMany, strconv.Itoa(i+1))
	}
	status, body = post(g, q.caseworker, q.ts, bulk, url.Values{"csrf": {q.csrf}, "action": {"handle"}, "comment": {"x"}, "item": tooMany})
	g.Expect(status).To(Equal(http.StatusBadRequest), body)
	g.Expect(body).To(ContainSubstring("højst 200 ad gangen"))
	status, _ = post(g, q.caseworker, q.ts, bulk, url.Values{"action": {"handle"}, "comment": {"sent by post"}, "item": selected})
	g.Expect(status).To(Equal(http.StatusForbidden), "a form without its CSRF token")
	g.Expect(storedItem(g, q.ns, waiting[0]).State).To(Equal(workqueue.BusinessException), "nothing was sent")

	status, body = post(g, q.caseworker, q.ts, bulk, url.Values{"csrf": {q.csrf}, "action": {"handle"}, "comment": {"sent by post"}, "item": selected})
	g.Expect(status).To(Equal(http.StatusOK), body)
	g.Expect(body).To(ContainSubstring("Markeret som behandlet: 2, afvist: 1."), "a report, not a redirect")
	g.Expect(body).To(ContainSubstring("✗ afvist"), "the outcome in words")
	g.Expect(body).To(ContainSubstring("Handle is not possible for an item in state New"), "the API's reason for the item that did not wait")
	for _, id := range waiting {
		g.Expect(storedItem(g, q.ns, id).State).To(Equal(workqueue.Handled))
		last := lastDecision(g, q.ns, id)
		g.Expect(last.Actor).To(Equal(q.caseworkerName()), "handled as the caseworker")
		g.Expect(last.Detail).To(Equal("sent by post"), "with the one comment")
	}
	g.Expect(storedItem(g, q.ns, taken).State).To(Equal(workqueue.New), "the item that did not wait is untouched")
}

// TestConsoleQueueUploadAddsItemsWithAPerLineReport: a CSV file uploaded
// adds an item per row as the caseworker, and the report says of every
// line whether it was added, already there (a queue with unique
// references), or refused and why, by the file reader or by the API; an
// upload without its CSRF token, or too large, adds nothing.
func TestConsoleQueueUploadAddsItemsWithAPerLineReport(t *testing.T) {
	g := NewWithT(t)
	q := newConsoleQueue(t, g, "letters", func(wq *rpav1alpha1.WorkQueue) { wq.Spec.UniqueReferences = true })
	existing := addItems(g, q.wq, 1)[0] // reference cert-0

	_, body := get(g, q.caseworker, q.page, "en")
	g.Expect(body).To(ContainSubstring(`enctype="multipart/form-data"`))
	g.Expect(body).To(ContainSubstring(`<label for="upload-file">File</label>`))
	upload := q.path("/upload")
	csv := "\ufeffreference,cpr\n" + // line 1, the header, with a spreadsheet's byte-order mark
		"cert-0,0101701234\n" + // 2: already there
		"2026-4712,0202802345\n" + // 3: added
		"2026-4713\n" + // 4: refused by the file reader
		"2026-4714,0404004567\n" + // 5: added
		"\"2026\t4715\",0505105678\n" // 6: refused by the API

	status, _ := postFile(g, q.caseworker, q.ts, upload, nil, "attester.csv", csv)
	g.Expect(status).To(Equal(http.StatusForbidden), "a multipart form without its CSRF token")
	status, body = postFile(g, q.caseworker, q.ts, upload, url.Values{"csrf": {q.csrf}}, "attester.csv", strings.Repeat("a,b\n", 2<<20))
	g.Expect(status).To(Equal(http.StatusRequestEntityTooLarge), body)
	g.Expect(body).To(ContainSubstring("Filen er større end 5 MiB"))
	g.Expect(itemIDsOf(g, q.ns, q.name, workqueue.New)).To(HaveLen(1), "nothing added but the item there before")

	status, body = postFile(g, q.caseworker, q.ts, upload, url.Values{"csrf": {q.csrf}}, "attester.csv", csv)
	g.Expect(status).To(Equal(http.StatusOK), body)
	g.Expect(body).To(ContainSubstring("attester.csv: tilføjet 2, fandtes allerede 1, afvist 2."))
	g.Expect(body).To(ContainSubstring(fmt.Sprintf(`<a href="%s">%d</a>`, q.path(fmt.Sprintf("/items/%d", existing)), existing)), "the line already there names its item")
	g.Expect(body).To(ContainSubstring("= fandtes allerede"))
	g.Expect(body).To(ContainSubstring("1 fields, but the header has 2 columns"), "the file reader's reason")
	g.Expect(body).To(ContainSubstring("reference contains a control character"), "the API's reason")
	added := itemIDsOf(g, q.ns, q.name, workqueue.New)
	g.Expect(added).To(HaveKey("2026-4712"))
	g.Expect(added).To(HaveKey("2026-4714"))
	g.Expect(added).To(HaveLen(3))
	id, err := strconv.ParseInt(added["2026-4712"], 10, 64)
	g.Expect(err).NotTo(HaveOccurred())
	it := storedItem(g, q.ns, id)
	g.Expect(it.CreatedBy).To(Equal(q.caseworkerName()), "added as the caseworker")
	g.Expect(string(it.Payload)).To(MatchJSON(`{"reference":"2026-4712","cpr":"0202802345"}`))
}

// TestConsoleQueueAReaderGetsNoControlsAndForgedPostsAreRefused: a
// person who may read a department's items but not decide on them or add
// any gets no checkboxes, bulk, edit or upload form; their forged POSTs
// are refused by kube-apiserver with 403, and nothing changes.
func TestConsoleQueueAReaderGetsNoControlsAndForgedPostsAreRefused(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	q := newConsoleQueue(t, g, "certificates", nil)
	ids := itemsForAPerson(g, q.wq, 1, "address protection")
	token := userToken(t, q.ns, "process-owner", "rpa_robot_viewer_role.yaml")
	g.Expect(k8sClient.Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Namespace: q.ns, Name: "work-item-reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{queuev1alpha1.GroupName}, Resources: []string{"workitems"}, Verbs: []string{"get", "list"}}},
	})).To(Succeed())
	g.Expect(k8sClient.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: q.ns, Name: "process-owner-reads-items"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "work-item-reader"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: q.ns, Name: "process-owner"}},
	})).To(Succeed())
	reader := signIn(t, q.ts, token)

	var status int
	var body string
	g.Eventually(func() int {
		status, body = get(g, reader, q.page, "en")
		return status
	}, timeout, interval).Should(Equal(http.StatusOK), "the reader may read the items once bound")
	g.Expect(body).To(ContainSubstring("address protection"), "the reader sees the inbox")
	for _, control := range []string{`type="checkbox"`, `/bulk"`, `/upload"`, `type="file"`, "Edit and retry", "Mark handled"} {
		g.Expect(body).NotTo(ContainSubstring(control), "a reader gets no %s", control)
	}
	csrf := csrfOf(g, body)
	status, body = get(g, reader, q.ts.URL+q.path(fmt.Sprintf("/items/%d", ids[0])), "en")
	g.Expect(status).To(Equal(http.StatusOK), body)
	g.Expect(body).NotTo(ContainSubstring("<textarea"), "no edit form for a reader")

	item := strconv.FormatInt(ids[0], 10)
	status, body = post(g, reader, q.ts, q.path("/bulk"), url.Values{"csrf": {csrf}, "action": {"handle"}, "comment": {"forged"}, "item": {item}})
	g.Expect(status).To(Equal(http.StatusForbidden), "a forged bulk POST is refused by kube-apiserver: %s", body)
	status, body = post(g, reader, q.ts, q.path("/items/"+item+"/edit"), url.Values{"csrf": {csrf}, "payload": {`{"certificate":2}`}})
	g.Expect(status).To(Equal(http.StatusForbidden), "a forged edit and retry: %s", body)
	status, body = postFile(g, reader, q.ts, q.path("/upload"), url.Values{"csrf": {csrf}}, "letters.jsonl", `{"reference":"2026-4711"}`+"\n")
	g.Expect(status).To(Equal(http.StatusForbidden), "a forged upload: %s", body)

	g.Expect(storedItem(g, q.ns, ids[0]).State).To(Equal(workqueue.BusinessException), "the reader changed nothing")
	g.Expect(itemIDsOf(g, q.ns, q.name, workqueue.New)).To(BeEmpty(), "the reader added nothing")
}
