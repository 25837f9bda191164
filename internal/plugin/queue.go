package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/duration"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/workqueue"
)

// The queue commands read a WorkQueue's counts from its status (the CRD,
// through Env.Client) and its items from rpa-server's work-item API
// (queue.rpa.dev/v1alpha1, through Env.WorkItems), which kube-apiserver's
// aggregation layer serves; docs/work-queues.md describes both.

// itemsPageSize is how many items one list request asks for.
const itemsPageSize = 500

// reasonWidth is how much of an item's reason the items table shows; -o
// wide and -o yaml show all of it.
const reasonWidth = 40

// outputWide and outputName are the extra -o values of `queue items`.
const (
	outputWide = "wide"
	outputName = "name"
)

// itemStates are the states an item can be in, for --state.
var itemStates = []workqueue.State{
	workqueue.New, workqueue.InProgress, workqueue.Done,
	workqueue.BusinessException, workqueue.Failed, workqueue.Handled,
}

// workItemsScheme knows the work-item API's kinds and the Status of its
// error answers. It is the plugin's own, so rpa-server's packages (and the
// apiserver library they link) stay out of the plugin.
var workItemsScheme = newWorkItemsScheme()

func newWorkItemsScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(queuev1alpha1.AddToScheme(s))
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	return s
}

// The work-item client's rate: a caseworker's bulk add at 50 lines a second.
const (
	bulkQPS   = 50
	bulkBurst = 100
)

// newWorkItemsClient is a REST client for queue.rpa.dev/v1alpha1 with the
// user's credentials: kube-apiserver authenticates and authorizes the
// request before it proxies it to rpa-server.
func newWorkItemsClient(cfg *rest.Config) (rest.Interface, error) {
	c := rest.CopyConfig(cfg)
	c.APIPath = "/apis"
	c.GroupVersion = &queuev1alpha1.SchemeGroupVersion
	c.NegotiatedSerializer = serializer.NewCodecFactory(workItemsScheme).WithoutConversion()
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	// A bulk add is one request per line: client-go's default of 5 a
	// second would take 40 minutes for a year of certificates. The
	// apiserver's Priority and Fairness still keeps it from crowding out
	// others.
	if c.QPS == 0 {
		c.QPS, c.Burst = bulkQPS, bulkBurst
	}
	return rest.RESTClientFor(c)
}

func newQueueCommand(connect connectFunc) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "List work queues and their items; add, retry and handle items",
	}
	cmd.AddCommand(
		newQueueListCommand(connect),
		newQueueItemsCommand(connect),
		newQueueAddCommand(connect),
		newQueueDecisionCommand(connect, retryDecision),
		newQueueDecisionCommand(connect, handleDecision),
	)
	return cmd
}

func newQueueListCommand(connect connectFunc) *cobra.Command {
	var allNamespaces bool
	cmd := &cobra.Command{
		Use:   "list [-A]",
		Short: "List work queues with their items' counts, as rpa-server last counted them",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := connect()
			if err != nil {
				return err
			}
			return runQueueList(cmd.Context(), env, allNamespaces)
		},
	}
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "list the work queues of every namespace")
	return cmd
}

func runQueueList(ctx context.Context, env *Env, allNamespaces bool) error {
	var list rpav1alpha1.WorkQueueList
	var opts []client.ListOption
	where := "every namespace"
	if !allNamespaces {
		opts = append(opts, client.InNamespace(env.Namespace))
		where = "namespace " + env.Namespace
	}
	if err := env.Client.List(ctx, &list, opts...); err != nil {
		return fmt.Errorf("list workqueues in %s: %w", where, err)
	}
	if len(list.Items) == 0 {
		fmt.Fprintf(env.ErrOut, "No work queues found in %s.\n", where)
		return nil
	}
	header := []string{"NAME", "NEW", "IN PROGRESS", "EXCEPTIONS", "DONE", "OVERDUE", "OLDEST", "TRIGGER", "READY"}
	rows := make([][]string, 0, len(list.Items))
	now := env.Clock.Now()
	for i := range list.Items {
		row := queueRow(&list.Items[i], now)
		if allNamespaces {
			row = append([]string{list.Items[i].Namespace}, row...)
		}
		rows = append(rows, row)
	}
	if allNamespaces {
		header = append([]string{"NAMESPACE"}, header...)
	}
	return writeTable(env.Out, header, rows)
}

// queueRow is one line of `queue list`. EXCEPTIONS counts every item that
// waits for a person (business exceptions and failed items); OLDEST is
// how long the oldest New item has waited.
func queueRow(q *rpav1alpha1.WorkQueue, now time.Time) []string {
	counts := q.Status.Items
	oldest := "-"
	if q.Status.OldestNewTime != nil {
		oldest = duration.HumanDuration(now.Sub(q.Status.OldestNewTime.Time))
	}
	trigger := "-"
	if q.Spec.Trigger != nil {
		trigger = q.Spec.Trigger.RobotName
		if q.Spec.Suspend {
			trigger += " (suspended)"
		}
	}
	return []string{q.Name, count(counts.New), count(counts.InProgress),
		count(counts.BusinessException + counts.Failed), count(counts.Done), count(q.Status.Overdue),
		oldest, trigger, readyText(q)}
}

func count(n int64) string { return strconv.FormatInt(n, 10) }

// readyText is the Ready condition's status, with its reason when it is
// not True: the counts of a queue whose database is down are old.
func readyText(q *rpav1alpha1.WorkQueue) string {
	ready := meta.FindStatusCondition(q.Status.Conditions, rpav1alpha1.ConditionReady)
	switch {
	case ready == nil:
		return "-"
	case ready.Status == metav1.ConditionTrue || ready.Reason == "":
		return string(ready.Status)
	}
	return fmt.Sprintf("%s (%s)", ready.Status, ready.Reason)
}

func newQueueItemsCommand(connect connectFunc) *cobra.Command {
	var state, output string
	cmd := &cobra.Command{
		Use:   "items QUEUE [--state STATE] [-o wide|json|yaml|name]",
		Short: "List the items of a work queue, oldest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkItemsOutput(output); err != nil {
				return err
			}
			if err := checkState(state); err != nil {
				return err
			}
			env, err := connect()
			if err != nil {
				return err
			}
			return runQueueItems(cmd.Context(), env, args[0], state, output)
		},
	}
	cmd.Flags().StringVar(&state, "state", "", "only items in this state: "+statesText())
	cmd.Flags().StringVarP(&output, "output", "o", "", "wide (more columns), json or yaml (the WorkItemList), name (workitem/ID)")
	return cmd
}

// checkItemsOutput rejects an -o value of `queue items` before anything
// is fetched.
func checkItemsOutput(format string) error {
	switch format {
	case outputTable, outputWide, outputJSON, outputYAML, outputName:
		return nil
	}
	return fmt.Errorf("-o %q: want wide, json, yaml or name (or nothing for a table)", format)
}

// checkState rejects a --state that no item can be in; the API would
// answer such a selector with an empty list.
func checkState(state string) error {
	if state == "" || slices.Contains(itemStates, workqueue.State(state)) {
		return nil
	}
	return fmt.Errorf("--state %q: want one of %s", state, statesText())
}

func statesText() string {
	names := make([]string, len(itemStates))
	for i, s := range itemStates {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

func runQueueItems(ctx context.Context, env *Env, queue, state, output string) error {
	if err := checkWorkQueue(ctx, env, queue); err != nil {
		return err
	}
	list, err := listItems(ctx, env, queue, state)
	if err != nil {
		return err
	}
	switch output {
	case outputJSON, outputYAML:
		return printObject(env.Out, output, list)
	case outputName:
		for _, it := range list.Items {
			fmt.Fprintf(env.Out, "workitem/%s\n", it.Name)
		}
		return nil
	}
	if len(list.Items) == 0 {
		fmt.Fprintf(env.ErrOut, "No items in queue %s%s.\n", queue, inState(state))
		return nil
	}
	wide := output == outputWide
	rows := make([][]string, 0, len(list.Items))
	now := env.Clock.Now()
	for i := range list.Items {
		rows = append(rows, itemRow(&list.Items[i], now, wide))
	}
	return writeTable(env.Out, itemHeader(wide), rows)
}

func inState(state string) string {
	if state == "" {
		return ""
	}
	return " in state " + state
}

// listItems reads every page of the queue's items (in state, if given),
// in the order the API gives them: by id, so oldest first.
func listItems(ctx context.Context, env *Env, queue, state string) (*queuev1alpha1.WorkItemList, error) {
	selector := "spec.queue=" + queue
	if state != "" {
		selector += ",status.state=" + state
	}
	all := &queuev1alpha1.WorkItemList{}
	all.APIVersion, all.Kind = queuev1alpha1.SchemeGroupVersion.String(), "WorkItemList"
	for next := ""; ; {
		page := &queuev1alpha1.WorkItemList{}
		req := env.WorkItems.Get().Namespace(env.Namespace).Resource("workitems").
			Param("fieldSelector", selector).Param("limit", strconv.Itoa(itemsPageSize))
		if next != "" {
			req = req.Param("continue", next)
		}
		if err := req.Do(ctx).Into(page); err != nil {
			return nil, fmt.Errorf("list items of queue %s in namespace %s: %w", queue, env.Namespace, workItemsError(err))
		}
		for _, it := range page.Items {
			it.APIVersion, it.Kind = queuev1alpha1.SchemeGroupVersion.String(), "WorkItem"
			all.Items = append(all.Items, it)
		}
		if page.Continue == "" {
			return all, nil
		}
		next = page.Continue
	}
}

func itemHeader(wide bool) []string {
	h := []string{"ID", "REFERENCE", "STATE", "ATTEMPTS", "AGE", "REASON", "HELD BY"}
	if wide {
		h = append(h, "PRIORITY", "DEADLINE", "CREATED BY")
	}
	return h
}

// itemRow is one line of `queue items`. The reason is cut to reasonWidth
// unless wide: a robot's exception message can be a whole stack trace.
func itemRow(it *queuev1alpha1.WorkItem, now time.Time, wide bool) []string {
	held := "-"
	if it.Status.HeldBy != nil {
		held = it.Status.HeldBy.Run
	}
	reason := oneLine(it.Status.Reason)
	if !wide {
		reason = truncate(reason, reasonWidth)
	}
	row := []string{it.Name, orDash(it.Spec.Reference), orDash(it.Status.State), strconv.Itoa(int(it.Status.Attempts)),
		duration.HumanDuration(now.Sub(it.CreationTimestamp.Time)), orDash(reason), held}
	if wide {
		deadline := "-"
		if it.Spec.Deadline != nil {
			deadline = it.Spec.Deadline.UTC().Format(time.RFC3339)
		}
		row = append(row, strconv.Itoa(int(it.Spec.Priority)), deadline, orDash(it.Status.CreatedBy))
	}
	return row
}

// truncate cuts s to width characters, the last one an ellipsis.
func truncate(s string, width int) string {
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	runes := []rune(s)
	return string(runes[:width-1]) + "…"
}

// oneLine makes robot- or person-written text safe to print in a table
// cell or a report line: control characters escaped (terminalSafe), and
// newlines and tabs, which terminalSafe keeps, turned into spaces so they
// cannot break the row.
func oneLine(s string) string {
	return terminalSafe(strings.NewReplacer("\r\n", " ", "\n", " ", "\t", " ").Replace(s))
}

// writeTable prints a kubectl-style table; every cell is made safe.
func writeTable(w io.Writer, header []string, rows [][]string) error {
	tw := printers.GetNewTabWriter(w)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = oneLine(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// checkWorkQueue says where it looked when the WorkQueue is not there:
// the work-item API would answer a list with no items and an add with a
// message about the queue, once for every line.
func checkWorkQueue(ctx context.Context, env *Env, name string) error {
	err := env.Client.Get(ctx, client.ObjectKey{Namespace: env.Namespace, Name: name}, &rpav1alpha1.WorkQueue{})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("workqueue %q not found in namespace %q", name, env.Namespace)
	}
	if err != nil {
		return fmt.Errorf("get workqueue %s in namespace %s: %w", name, env.Namespace, err)
	}
	return nil
}

// errWorkItemsAPI marks an answer that says the work-item API itself
// cannot be reached, so that no further request is worth sending.
type errWorkItemsAPI struct{ msg string }

func (e *errWorkItemsAPI) Error() string { return e.msg }

// workItemsError explains the answers that mean the API is not there:
// kube-apiserver answers 404 with a plain-text body when no APIService
// serves queue.rpa.dev (rpa-server's own NotFounds are Status objects
// that name the item or queue), and 503 when rpa-server does not answer.
func workItemsError(err error) error {
	switch {
	case apierrors.IsNotFound(err) && apierrors.IsUnexpectedServerError(err):
		return &errWorkItemsAPI{msg: "the work-item API (queue.rpa.dev/v1alpha1) is not served in this cluster: is rpa-server installed? (docs/work-queues.md)"}
	case apierrors.IsServiceUnavailable(err):
		return &errWorkItemsAPI{msg: "the work-item API (queue.rpa.dev/v1alpha1) is unavailable, rpa-server does not answer: " + apiMessage(err)}
	}
	return err
}

// apiMessage is what the API said, for a report line: a Status answer's
// message, or the error itself for anything else (no connection).
func apiMessage(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Message != "" {
		return status.Status().Message
	}
	return err.Error()
}
