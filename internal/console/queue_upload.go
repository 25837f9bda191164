package console

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/console/kube"
	"github.com/rpa-operator/rpa-operator/internal/console/session"
	"github.com/rpa-operator/rpa-operator/internal/workqueue"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/itemfile"
)

// Bounds of an upload: a day's batch of letters or certificates. Each
// line is one request to the apiserver as the user, as `kubectl robot
// queue add` makes them; larger files are for the plugin.
const (
	maxUploadBytes = 5 << 20
	maxUploadLines = 1000
	// maxUploadFormBytes is the whole request's: the file and the form's
	// few small fields.
	maxUploadFormBytes = maxUploadBytes + 64<<10
)

// uploadReport is what became of each line of an uploaded file.
type uploadReport struct {
	File  string
	Lines []itemfile.Answer
	itemfile.Tally
	// StoppedAt is the line whose answer said no later line could be
	// added (the queue gone, the user's access), or 0; StopMessage is that
	// answer.
	StoppedAt   int
	StopMessage string
}

// uploadItems adds an item for every line of the uploaded file, as the
// user, and reports every line.
func (s *Server) uploadItems(w http.ResponseWriter, r *http.Request, sess session.Session, users *kube.Clients) {
	ctx := r.Context()
	ns, queue := r.PathValue("namespace"), r.PathValue("queue")
	if r.MultipartForm != nil {
		defer func() { _ = r.MultipartForm.RemoveAll() }()
	}
	// The queue is read first, as the user: a queue they may not see, or
	// that does not exist, is told once, not on every line.
	if err := users.Kube.Get(ctx, client.ObjectKey{Namespace: ns, Name: queue}, &rpav1alpha1.WorkQueue{}); err != nil {
		s.clusterFailure(w, r, sess, err)
		return
	}
	upload, data := readUpload(r, ns, queue)
	if data.Problem != "" {
		s.render(w, r, http.StatusBadRequest, "queuereport", sess.Lang, sess.CSRF, data)
		return
	}
	report, err := addLines(ctx, users, ns, upload)
	if err != nil {
		s.clusterFailure(w, r, sess, err)
		return
	}
	report.File = upload.file
	data.Upload = report
	s.render(w, r, http.StatusOK, "queuereport", sess.Lang, sess.CSRF, data)
}

// upload is a file's lines, read and bounded, before any is sent.
type upload struct {
	file  string
	lines []itemfile.Line
}

// readUpload reads the form's file into lines, or says in data.Problem
// why none can be sent: all of a file is read before its first line is
// added, so that a file too long or unreadable adds nothing.
func readUpload(r *http.Request, ns, queue string) (upload, *reportData) {
	data := &reportData{Namespace: ns, Queue: queue}
	problem := func(key string, values map[string]any, detail string) (upload, *reportData) {
		data.Problem, data.ProblemData, data.Detail = key, values, detail
		return upload{}, data
	}
	file, header, err := r.FormFile("file")
	if err != nil {
		return problem("upload.noFile", nil, "")
	}
	defer func() { _ = file.Close() }()
	if header.Size > maxUploadBytes {
		return problem("upload.tooLarge", nil, "")
	}
	defaults, key := uploadDefaults(queue, r.PostFormValue("referenceField"), r.PostFormValue("priority"))
	if key != "" {
		return problem(key, nil, "")
	}
	format := r.PostFormValue("format")
	if format != itemfile.FormatCSV && format != itemfile.FormatJSONLines {
		format = itemfile.FormatOfName(header.Filename)
	}
	if format == "" {
		return problem("upload.unknownFormat", nil, "")
	}
	src, err := itemfile.NewSource(format, io.LimitReader(file, maxUploadBytes), defaults)
	var noColumn *itemfile.NoReferenceColumnError
	switch {
	case errors.As(err, &noColumn):
		return problem("upload.noReferenceColumn", map[string]any{"Field": noColumn.Field, "Columns": noColumn.Columns()}, "")
	case err != nil:
		return problem("upload.unreadable", nil, err.Error())
	}
	lines, err := readLines(src, maxUploadLines)
	switch {
	case errors.Is(err, errTooManyLines):
		return problem("upload.tooManyLines", map[string]any{"Max": maxUploadLines}, "")
	case err != nil:
		return problem("upload.unreadable", nil, err.Error())
	}
	if len(lines) == 0 {
		return problem("upload.empty", nil, "")
	}
	return upload{file: header.Filename, lines: lines}, data
}

// uploadDefaults are the form's reference column and priority, as
// `kubectl robot queue add` takes them from its flags: a column named is
// required on every line; no column named takes the reference from a
// "reference" column when there is one. The message key says what is
// wrong with them, if anything.
func uploadDefaults(queue, referenceField, priority string) (itemfile.Defaults, string) {
	d := itemfile.Defaults{Queue: queue, ReferenceField: itemfile.DefaultReferenceField}
	if field := strings.TrimSpace(referenceField); field != "" {
		d.ReferenceField, d.ReferenceRequired = field, true
	}
	if p := strings.TrimSpace(priority); p != "" {
		n, err := strconv.ParseInt(p, 10, 32)
		if err != nil || workqueue.CheckPriority(int32(n)) != nil {
			return d, "upload.badPriority"
		}
		d.Priority = int32(n)
	}
	return d, ""
}

// errTooManyLines says a file has more lines than one upload may add.
var errTooManyLines = errors.New("too many lines")

// readLines reads a source to its end, or to one line past max.
func readLines(src itemfile.Source, limit int) ([]itemfile.Line, error) {
	var lines []itemfile.Line
	for {
		line, err := src.Next()
		if errors.Is(err, io.EOF) {
			return lines, nil
		}
		if err != nil {
			return nil, err
		}
		if len(lines) == limit {
			return nil, errTooManyLines
		}
		lines = append(lines, line)
	}
}

// addLines adds the lines' items one request at a time, in the file's
// order, as the user. An answer that says no later line can be added
// either (the user's token ended, their access, the API or the queue
// gone) stops the upload: repeated for every line it would hide itself.
// If that is the first answer, nothing was added, and it is returned to
// be told as the cluster's refusal; after that the report says where the
// upload stopped.
func addLines(ctx context.Context, users *kube.Clients, ns string, up upload) (*uploadReport, error) {
	report := &uploadReport{}
	answered := 0
	for _, line := range up.lines {
		if line.Err != nil {
			report.add(itemfile.Unread(line))
			continue
		}
		got := &queuev1alpha1.WorkItem{}
		err := users.Queue.Post().Namespace(ns).Resource("workitems").Body(&queuev1alpha1.WorkItem{
			TypeMeta: metaTypeOf("WorkItem"), Spec: line.Spec,
		}).Do(ctx).Into(got)
		if stopsUpload(ctx, err) {
			if answered == 0 || apierrors.IsUnauthorized(err) {
				return nil, err
			}
			report.StoppedAt, report.StopMessage = line.Number, apiMessage(err)
			return report, nil
		}
		answered++
		report.add(itemfile.AnswerOf(line.Number, line.Spec.Reference, got, err))
	}
	return report, nil
}

// stopsUpload says an answer would be the same for every later line.
func stopsUpload(ctx context.Context, err error) bool {
	return err != nil && (ctx.Err() != nil || apierrors.IsUnauthorized(err) || apierrors.IsForbidden(err) ||
		apierrors.IsNotFound(err) || apierrors.IsServiceUnavailable(err))
}

func (u *uploadReport) add(a itemfile.Answer) {
	u.Lines = append(u.Lines, a)
	u.Count(a)
}
