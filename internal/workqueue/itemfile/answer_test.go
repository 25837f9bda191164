package itemfile

import (
	"errors"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
)

func TestAnswerOfReadsTheAPIsAnswerToOneLine(t *testing.T) {
	workItems := schema.GroupResource{Group: queuev1alpha1.SchemeGroupVersion.Group, Resource: "workitems"}
	added := &queuev1alpha1.WorkItem{ObjectMeta: metav1.ObjectMeta{Name: "12"}, Status: queuev1alpha1.WorkItemStatus{State: "New"}}
	existing := &queuev1alpha1.WorkItem{
		ObjectMeta: metav1.ObjectMeta{Name: "7", Annotations: map[string]string{queuev1alpha1.AnnotationExisting: "true"}},
		Status:     queuev1alpha1.WorkItemStatus{State: "Done"},
	}
	tests := []struct {
		name string
		got  *queuev1alpha1.WorkItem
		err  error
		want Answer
	}{
		{name: "added", got: added, want: Answer{Line: 3, Reference: "2026-4711", Outcome: Added, ID: "12", State: "New"}},
		{name: "the reference exists: the answer is that item, annotated", got: existing,
			want: Answer{Line: 3, Reference: "2026-4711", Outcome: Existing, ID: "7", State: "Done"}},
		{name: "the reference's item was deleted by retention", got: &queuev1alpha1.WorkItem{}, err: apierrors.NewAlreadyExists(workItems, "5"),
			want: Answer{Line: 3, Reference: "2026-4711", Outcome: Existing, ID: "5"}},
		{name: "refused: the API's message, without its number in a batch of one", got: &queuev1alpha1.WorkItem{},
			err:  apierrors.NewBadRequest("item 1: invalid work item: payload is 70412 bytes, more than the 65536 allowed"),
			want: Answer{Line: 3, Reference: "2026-4711", Outcome: Refused, Message: "invalid work item: payload is 70412 bytes, more than the 65536 allowed"}},
		{name: "no answer at all: refused, and the caller says why", got: &queuev1alpha1.WorkItem{},
			err:  errors.New("dial tcp 10.0.0.1:443: connection refused"),
			want: Answer{Line: 3, Reference: "2026-4711", Outcome: Refused}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			NewWithT(t).Expect(AnswerOf(3, "2026-4711", tt.got, tt.err)).To(Equal(tt.want))
		})
	}
}

func TestUnreadRefusesALineWithTheReadersReason(t *testing.T) {
	got := Unread(Line{Number: 4, Err: errors.New(`no "reference" field`)})
	NewWithT(t).Expect(got).To(Equal(Answer{Line: 4, Outcome: Refused, Message: `no "reference" field`}))
}

func TestTallyCountsByOutcome(t *testing.T) {
	var tally Tally
	for _, o := range []Outcome{Added, Added, Existing, Refused, Refused, Refused} {
		tally.Count(Answer{Outcome: o})
	}
	NewWithT(t).Expect(tally).To(Equal(Tally{Added: 2, Existing: 1, Refused: 3}))
}
