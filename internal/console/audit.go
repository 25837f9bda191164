package console

import (
	"fmt"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/fields"
	"sigs.k8s.io/controller-runtime/pkg/log"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/apipages"
	"github.com/rpa-operator/rpa-operator/internal/auditexport"
	"github.com/rpa-operator/rpa-operator/internal/console/kube"
	"github.com/rpa-operator/rpa-operator/internal/console/session"
)

// auditRowsShown bounds each table of the audit page; the export has all.
const auditRowsShown = 500

// auditData is the audit page's: a namespace's month.
type auditData struct {
	Namespace, Month, PrevMonth, NextMonth string
	Runs                                   []recordsv1alpha1.RunRecord
	Changes                                []recordsv1alpha1.RobotChange
	Decisions                              []queuev1alpha1.ItemDecision
}

func auditPath(namespace string) string { return "/namespaces/" + namespace + "/audit" }

// auditPage shows, or exports (?export=runs|changes|decisions&format=csv|
// jsonl), who started, cancelled, suspended, resumed and handled what in
// a month of the namespace, read as the user from the records.
func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, sess session.Session, users *kube.Clients) {
	ns := r.PathValue("namespace")
	month, err := time.ParseInLocation("2006-01", r.URL.Query().Get("month"), s.Location)
	if err != nil {
		now := s.Clock.Now().In(s.Location)
		month = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, s.Location)
	}
	selector := fields.Set{"from": month.Format(time.RFC3339), "before": month.AddDate(0, 1, 0).Format(time.RFC3339)}.AsSelector().String()
	data := &auditData{Namespace: ns, Month: month.Format("2006-01"),
		PrevMonth: month.AddDate(0, -1, 0).Format("2006-01"), NextMonth: month.AddDate(0, 1, 0).Format("2006-01")}
	export := r.URL.Query().Get("export")
	limit := auditRowsShown
	if export != "" {
		limit = 0
	}
	ctx := r.Context()
	if data.Runs, err = apipages.All(ctx, users.Records, ns, "runrecords", selector, limit,
		func() *recordsv1alpha1.RunRecordList { return &recordsv1alpha1.RunRecordList{} },
		func(l *recordsv1alpha1.RunRecordList) ([]recordsv1alpha1.RunRecord, string) {
			return l.Items, l.Continue
		}); err != nil {
		s.clusterFailure(w, r, sess, err)
		return
	}
	if data.Changes, err = apipages.All(ctx, users.Records, ns, "robotchanges", selector, limit,
		func() *recordsv1alpha1.RobotChangeList { return &recordsv1alpha1.RobotChangeList{} },
		func(l *recordsv1alpha1.RobotChangeList) ([]recordsv1alpha1.RobotChange, string) {
			return l.Items, l.Continue
		}); err != nil {
		s.clusterFailure(w, r, sess, err)
		return
	}
	data.Decisions, err = apipages.All(ctx, users.Queue, ns, "itemdecisions", selector, limit,
		func() *queuev1alpha1.ItemDecisionList { return &queuev1alpha1.ItemDecisionList{} },
		func(l *queuev1alpha1.ItemDecisionList) ([]queuev1alpha1.ItemDecision, string) {
			return l.Items, l.Continue
		})
	if err != nil {
		s.clusterFailure(w, r, sess, err)
		return
	}
	if export != "" {
		s.exportAudit(w, r, sess, data, export)
		return
	}
	s.render(w, r, http.StatusOK, "audit", sess.Lang, sess.CSRF, data)
}

// exportAudit downloads one of the month's lists.
func (s *Server) exportAudit(w http.ResponseWriter, r *http.Request, sess session.Session, data *auditData, what string) {
	format := r.URL.Query().Get("format")
	if format != auditexport.FormatJSONL {
		format = auditexport.FormatCSV
	}
	write := map[string]func() error{
		"runs":      func() error { return auditexport.Runs(w, format, data.Runs) },
		"changes":   func() error { return auditexport.Changes(w, format, data.Changes) },
		"decisions": func() error { return auditexport.Decisions(w, format, data.Decisions) },
	}[what]
	if write == nil {
		s.fail(w, r, http.StatusNotFound, "error.notFound", sess.Lang, sess.CSRF)
		return
	}
	contentType := "text/csv; charset=utf-8"
	if format == auditexport.FormatJSONL {
		contentType = "application/jsonl; charset=utf-8"
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", fmt.Sprintf("%s-%s-%s.%s", data.Namespace, what, data.Month, format)))
	if err := write(); err != nil {
		// The header is sent: the download is cut short, and the log says why.
		log.FromContext(r.Context()).Error(err, "write the audit export", "namespace", data.Namespace, "export", what)
	}
}
