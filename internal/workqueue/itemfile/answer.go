package itemfile

import (
	"errors"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
)

// Outcome is what adding one line came to.
type Outcome string

// The outcomes of a line, as the reports name them.
const (
	Added    Outcome = "added"
	Existing Outcome = "existing"
	Refused  Outcome = "refused"
)

// Answer is what became of one line once its item was sent to the
// work-item API, for the report of a file's lines.
type Answer struct {
	Line      int
	Outcome   Outcome
	Reference string
	// ID and State are the item's: the new one, or the one that has the
	// reference. An existing item that retention deleted has no State.
	ID, State string
	// Message says why the line was refused: the reader's or the API's
	// words.
	Message string
}

// Unread is the answer for a line the reader refused: nothing was sent.
func Unread(line Line) Answer {
	return Answer{Line: line.Number, Outcome: Refused, Message: line.Err.Error()}
}

// AnswerOf reads the API's answer to adding a line's item: got and err as
// the create returned them. A reference the queue has seen answers with
// that item and the AnnotationExisting mark; if retention has deleted the
// item, the answer is AlreadyExists naming its id.
func AnswerOf(line int, reference string, got *queuev1alpha1.WorkItem, err error) Answer {
	a := Answer{Line: line, Reference: reference}
	switch {
	case apierrors.IsAlreadyExists(err):
		a.Outcome = Existing
		var status apierrors.APIStatus
		if errors.As(err, &status) && status.Status().Details != nil {
			a.ID = status.Status().Details.Name
		}
	case err != nil:
		// The API numbers the items of a batch; a line is a batch of one.
		// No API answer (the connection failed) leaves Message empty: the
		// caller says that its own way.
		a.Outcome, a.Message = Refused, strings.TrimPrefix(apiMessage(err), "item 1: ")
	case got.Annotations[queuev1alpha1.AnnotationExisting] == "true":
		a.Outcome, a.ID, a.State = Existing, got.Name, got.Status.State
	default:
		a.Outcome, a.ID, a.State = Added, got.Name, got.Status.State
	}
	return a
}

// Tally counts a file's answers by outcome, for its report's summary.
type Tally struct {
	Added, Existing, Refused int
}

// Count adds one answer.
func (t *Tally) Count(a Answer) {
	switch a.Outcome {
	case Added:
		t.Added++
	case Existing:
		t.Existing++
	default:
		t.Refused++
	}
}

// apiMessage is the API's own message, if the error is its answer.
func apiMessage(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return status.Status().Message
	}
	return ""
}
