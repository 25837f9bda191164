package console

import (
	"errors"
	"net/http"
	"strconv"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
)

var workItemsGR = schema.GroupResource{Group: queuev1alpha1.GroupName, Resource: "workitems"}

func TestTheItemsSelectedForABulkDecision(t *testing.T) {
	many := make([]string, 0, maxBulkItems+1)
	for i := range maxBulkItems + 1 {
		many = append(many, strconv.Itoa(i+1))
	}
	tests := []struct {
		name        string
		values      []string
		want        []string
		wantProblem string
	}{
		{name: "each once, in the page's order", values: []string{"13", "12", " 13 "}, want: []string{"13", "12"}},
		{name: "none", values: nil, wantProblem: "queue.bulkNoneSelected"},
		{name: "something that is not an item", values: []string{"12", "../robots/x"}, wantProblem: "queue.bulkBadItem"},
		{name: "a page of the inbox", values: many[:maxBulkItems], want: many[:maxBulkItems]},
		{name: "more than a page", values: many, wantProblem: "queue.bulkTooMany"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problem := selectedItems(tt.values)
			NewWithT(t).Expect(problem).To(Equal(tt.wantProblem))
			NewWithT(t).Expect(got).To(Equal(tt.want))
		})
	}
}

func TestABulkDecisionReportsEachItem(t *testing.T) {
	retried := &queuev1alpha1.WorkItem{Spec: queuev1alpha1.WorkItemSpec{Reference: "2026-4711"}, Status: queuev1alpha1.WorkItemStatus{State: "New"}}
	conflict := apierrors.NewConflict(workItemsGR, "13", errors.New("illegal transition: Handle is not possible for an item in state New"))
	forbidden := apierrors.NewForbidden(workItemsGR, "14", errors.New(`User "anne" cannot create resource "workitems/handle"`))
	tests := []struct {
		name       string
		answers    []error
		wantStatus int
		want       []decisionResult
	}{
		{name: "done and refused, each in the API's words", answers: []error{nil, conflict, errors.New("connection refused")}, wantStatus: http.StatusOK,
			want: []decisionResult{
				{ID: "1", Reference: "2026-4711", State: "New"},
				{ID: "2", Refused: true, Message: `Operation cannot be fulfilled on workitems.queue.rpa.dev "13": illegal transition: Handle is not possible for an item in state New`},
				{ID: "3", Refused: true},
			}},
		{name: "every item forbidden: the user may not decide here", answers: []error{forbidden, forbidden}, wantStatus: http.StatusForbidden},
		{name: "some forbidden, some done", answers: []error{forbidden, nil}, wantStatus: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			report := &bulkReport{}
			for i, err := range tt.answers {
				report.add(decisionResultOf(strconv.Itoa(i+1), retried, err), apierrors.IsForbidden(err))
			}
			g.Expect(report.status()).To(Equal(tt.wantStatus))
			g.Expect(report.Done + report.Refused).To(Equal(len(tt.answers)))
			if tt.want != nil {
				g.Expect(report.Results).To(Equal(tt.want))
			}
		})
	}
}

func TestTheBulkFormIsDrawnOnlyForItemsThatWaitForAPerson(t *testing.T) {
	item := func(state string) queuev1alpha1.WorkItem {
		return queuev1alpha1.WorkItem{Status: queuev1alpha1.WorkItemStatus{State: state}}
	}
	for _, tt := range []struct {
		name  string
		items []queuev1alpha1.WorkItem
		want  bool
	}{
		{name: "none", want: false},
		{name: "done and handled", items: []queuev1alpha1.WorkItem{item("Done"), item("Handled")}, want: false},
		{name: "a failed one among others", items: []queuev1alpha1.WorkItem{item("Done"), item("Failed")}, want: true},
		{name: "a business exception", items: []queuev1alpha1.WorkItem{item("BusinessException")}, want: true},
	} {
		if got := (&queueData{Items: tt.items}).Waiting(); got != tt.want {
			t.Errorf("%s: Waiting() = %v, want %v", tt.name, got, tt.want)
		}
	}
}
