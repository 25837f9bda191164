package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
)

// decisionKind is a person's decision on items that wait for one: its
// subresource and the words the command prints.
type decisionKind struct {
	subresource, done string
	// commentRequired: the API refuses to handle an item without saying
	// what was done with it, so the plugin asks before sending anything.
	commentRequired bool
}

var (
	retryDecision  = decisionKind{subresource: "retry", done: "retried"}
	handleDecision = decisionKind{subresource: "handle", done: "handled", commentRequired: true}
)

// decisionOptions are the flags of `queue retry` and `queue handle`.
type decisionOptions struct {
	comment, payloadFile string
}

func newQueueDecisionCommand(connect connectFunc, kind decisionKind) *cobra.Command {
	var opts decisionOptions
	cmd := &cobra.Command{
		Use:   "retry ID [ID...] [--payload-file FILE] [--comment TEXT]",
		Short: "Put items in BusinessException or Failed back to New, to be taken again",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := itemIDs(args)
			if err != nil {
				return err
			}
			body, err := decisionBody(kind, opts, len(ids), cmd.InOrStdin())
			if err != nil {
				return err
			}
			env, err := connect()
			if err != nil {
				return err
			}
			return runDecisions(cmd.Context(), env, kind, ids, body)
		},
	}
	cmd.Flags().StringVar(&opts.comment, "comment", "", "what was done or found, kept in the item's history")
	if kind.commentRequired {
		cmd.Use = "handle ID [ID...] --comment TEXT"
		cmd.Short = "Close items in BusinessException or Failed as Handled by a person"
		cmd.Flags().Lookup("comment").Usage = "what was done with the item, kept in its history (required)"
	} else {
		cmd.Flags().StringVar(&opts.payloadFile, "payload-file", "", "a JSON object to replace the item's payload with, - for stdin (one ID only)")
	}
	return cmd
}

// itemIDs checks the arguments are item ids, before anything is sent.
// `queue items -o name` prints workitem/ID, so that form is taken too.
func itemIDs(args []string) ([]string, error) {
	ids := make([]string, 0, len(args))
	for _, arg := range args {
		id := strings.TrimPrefix(arg, "workitem/")
		if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not an item id: ids are numbers, as `kubectl robot queue items` shows them", oneLine(arg))
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// decisionBody is what is posted for every id.
func decisionBody(kind decisionKind, opts decisionOptions, ids int, stdin io.Reader) (*queuev1alpha1.WorkItemDecision, error) {
	if kind.commentRequired && strings.TrimSpace(opts.comment) == "" {
		return nil, fmt.Errorf("%s needs --comment: say what was done with the item (it is kept in the item's history)", kind.subresource)
	}
	body := &queuev1alpha1.WorkItemDecision{Comment: opts.comment}
	if opts.payloadFile == "" {
		return body, nil
	}
	if ids != 1 {
		return nil, errors.New("--payload-file replaces one item's payload: give one ID")
	}
	payload, err := readPayloadFile(opts.payloadFile, stdin)
	if err != nil {
		return nil, err
	}
	body.Payload = &runtime.RawExtension{Raw: payload}
	return body, nil
}

// readPayloadFile reads a new payload, which must be a JSON object.
func readPayloadFile(file string, stdin io.Reader) ([]byte, error) {
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("--payload-file: %w", err)
	}
	data = bytes.TrimSpace(bytes.TrimPrefix(data, utf8BOM))
	if !json.Valid(data) {
		return nil, fmt.Errorf("--payload-file %s: not JSON", file)
	}
	if !bytes.HasPrefix(data, []byte("{")) {
		return nil, fmt.Errorf("--payload-file %s: not a JSON object ({...})", file)
	}
	return data, nil
}

// runDecisions posts the decision for every id in turn; one refused does
// not stop the others. It fails if any was refused.
func runDecisions(ctx context.Context, env *Env, kind decisionKind, ids []string, body *queuev1alpha1.WorkItemDecision) error {
	failed := 0
	for _, id := range ids {
		err := workItemsError(decide(ctx, env, kind, id, body))
		var unreachable *errWorkItemsAPI
		switch {
		case errors.As(err, &unreachable):
			return err
		case err != nil:
			failed++
			fmt.Fprintln(env.ErrOut, decisionLine(kind, id, err))
		default:
			fmt.Fprintln(env.Out, decisionLine(kind, id, nil))
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d items not %s", failed, len(ids), kind.done)
	}
	return nil
}

func decide(ctx context.Context, env *Env, kind decisionKind, id string, body *queuev1alpha1.WorkItemDecision) error {
	return env.WorkItems.Post().Namespace(env.Namespace).Resource("workitems").Name(id).SubResource(kind.subresource).
		Body(body).Do(ctx).Into(&queuev1alpha1.WorkItem{})
}

// decisionLine is what is printed for one id: done, or what the API said.
func decisionLine(kind decisionKind, id string, err error) string {
	if err != nil {
		return fmt.Sprintf("workitem/%s: %s", id, oneLine(apiMessage(err)))
	}
	return fmt.Sprintf("workitem/%s %s", id, kind.done)
}
