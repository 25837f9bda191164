package recordsapi

import (
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/runrecord/store"
)

// runRecord is the API's view of a stored record, named as its run was.
func runRecord(r *store.Record) *recordsv1alpha1.RunRecord {
	rr := &recordsv1alpha1.RunRecord{
		TypeMeta: metav1.TypeMeta{APIVersion: recordsv1alpha1.SchemeGroupVersion.String(), Kind: "RunRecord"},
		ObjectMeta: metav1.ObjectMeta{
			Namespace: r.Namespace, Name: r.Run, UID: types.UID(r.UID),
			CreationTimestamp: metav1.NewTime(r.CreatedAt),
			// A record never changes: its version is when it was written.
			ResourceVersion: timeVersion(r.RecordedAt),
		},
		Spec: recordsv1alpha1.RunRecordSpec{
			RobotName: r.Robot, RequestedBy: r.RequestedBy, CancelledBy: r.CancelledBy, Arguments: r.Arguments,
			Trigger: recordsv1alpha1.RecordedTrigger{
				Type: r.Trigger.Type, Schedule: r.Trigger.Schedule, Queue: r.Trigger.Queue, ScheduledTime: metaTime(r.Trigger.ScheduledTime),
			},
		},
		Status: recordsv1alpha1.RunRecordStatus{
			Phase: r.Phase, Reason: r.Reason, Message: r.Message, Attempts: int32(r.Attempts), ExitCode: r.ExitCode,
			Image: r.Image, ImageID: r.ImageID, Systems: r.Systems, WorkItems: r.WorkItems,
			StartTime: metaTime(r.StartedAt), CompletionTime: metav1.NewTime(r.FinishedAt), RecordedTime: metav1.NewTime(r.RecordedAt),
		},
	}
	for _, c := range r.Credentials {
		rr.Status.Credentials = append(rr.Status.Credentials, recordsv1alpha1.RecordedCredential{Name: c.Name, SecretName: c.SecretName, Account: c.Account})
	}
	if len(r.Result) > 0 {
		rr.Status.Result = &runtime.RawExtension{Raw: r.Result}
	}
	return rr
}

// recordedLogs describes the logs kept, without their content.
func recordedLogs(logs []store.Log) []recordsv1alpha1.RecordedLog {
	out := make([]recordsv1alpha1.RecordedLog, 0, len(logs))
	for _, l := range logs {
		out = append(out, recordsv1alpha1.RecordedLog{
			Attempt: int32(l.Attempt), Pod: l.Pod, Bytes: int64(len(l.Content)), Truncated: l.Truncated, Note: l.Note,
		})
	}
	return out
}

func timeVersion(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

func metaTime(t *time.Time) *metav1.Time {
	if t == nil {
		return nil
	}
	return &metav1.Time{Time: *t}
}
