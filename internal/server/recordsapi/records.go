package recordsapi

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/controller-runtime/pkg/log"

	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/runrecord/store"
	"github.com/rpa-operator/rpa-operator/internal/server/fieldselect"
)

// Records is what the API reads of the run-record store.
type Records interface {
	Latest(ctx context.Context, namespace, run string) (store.Record, error)
	List(ctx context.Context, opts store.ListOptions) ([]store.Record, error)
	Logs(ctx context.Context, namespace, runUID string) ([]store.Log, error)
}

// RecordStorage is the runrecords resource: get and list.
type RecordStorage struct{ Records Records }

var (
	_ rest.Storage              = &RecordStorage{}
	_ rest.Scoper               = &RecordStorage{}
	_ rest.SingularNameProvider = &RecordStorage{}
	_ rest.Getter               = &RecordStorage{}
	_ rest.Lister               = &RecordStorage{}
)

// New implements the apiserver's REST storage interfaces for RecordStorage.
func (s *RecordStorage) New() runtime.Object { return &recordsv1alpha1.RunRecord{} }

// NewList implements the apiserver's REST storage interfaces for RecordStorage.
func (s *RecordStorage) NewList() runtime.Object { return &recordsv1alpha1.RunRecordList{} }

// Destroy implements the apiserver's REST storage interfaces for RecordStorage.
func (s *RecordStorage) Destroy() {}

// NamespaceScoped implements the apiserver's REST storage interfaces for RecordStorage.
func (s *RecordStorage) NamespaceScoped() bool { return true }

// GetSingularName implements the apiserver's REST storage interfaces for RecordStorage.
func (s *RecordStorage) GetSingularName() string { return "runrecord" }

// ShortNames implements the apiserver's REST storage interfaces for RecordStorage.
func (s *RecordStorage) ShortNames() []string { return []string{"rrec"} }

// Categories implements the apiserver's REST storage interfaces for RecordStorage.
func (s *RecordStorage) Categories() []string { return []string{"rpa"} }

// Get returns the newest record of the run with that name, with a
// description of its logs.
func (s *RecordStorage) Get(ctx context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	r, logs, err := latestWithLogs(ctx, s.Records, name)
	if err != nil {
		return nil, err
	}
	rr := runRecord(&r)
	rr.Status.Logs = recordedLogs(logs)
	return rr, nil
}

// latestWithLogs reads the newest record of the named run in the
// request's namespace, and its logs.
func latestWithLogs(ctx context.Context, records Records, name string) (store.Record, []store.Log, error) {
	namespace, _ := request.NamespaceFrom(ctx)
	r, err := records.Latest(ctx, namespace, name)
	if err != nil {
		return r, nil, statusError(err, name)
	}
	logs, err := records.Logs(ctx, namespace, r.UID)
	if err != nil {
		return r, nil, statusError(err, name)
	}
	return r, logs, nil
}

// List returns the namespace's records, newest finish first, selected by
// the field selectors FieldRobot, FieldPhase, FieldFrom and FieldBefore,
// paged by limit and continue.
func (s *RecordStorage) List(ctx context.Context, options *metainternalversion.ListOptions) (runtime.Object, error) {
	namespace, ok := request.NamespaceFrom(ctx)
	if !ok || namespace == "" {
		return nil, apierrors.NewBadRequest("list run records in a namespace (-n): they are kept per namespace")
	}
	opts := store.ListOptions{Namespace: namespace}
	if err := selectRecords(options, &opts); err != nil {
		return nil, err
	}
	records, err := s.Records.List(ctx, opts)
	if err != nil {
		return nil, statusError(err, "")
	}
	list := &recordsv1alpha1.RunRecordList{TypeMeta: metav1.TypeMeta{APIVersion: recordsv1alpha1.SchemeGroupVersion.String(), Kind: "RunRecordList"}}
	for i := range records {
		list.Items = append(list.Items, *runRecord(&records[i]))
	}
	if opts.Limit > 0 && len(records) == opts.Limit {
		last := records[len(records)-1]
		list.Continue = continueToken(store.Cursor{FinishedAt: last.FinishedAt, UID: last.UID})
	}
	return list, nil
}

// selectRecords turns the list options into the store's.
func selectRecords(options *metainternalversion.ListOptions, opts *store.ListOptions) error {
	if options == nil {
		return nil
	}
	if options.Limit > 0 {
		opts.Limit = int(min(options.Limit, store.MaxListLimit))
	}
	if options.Continue != "" {
		cursor, err := parseContinue(options.Continue)
		if err != nil {
			return apierrors.NewBadRequest("continue token is not one this server gave")
		}
		opts.After = &cursor
	}
	reqs, err := fieldselect.Exact(options)
	if err != nil {
		return err
	}
	for _, req := range reqs {
		switch req.Field {
		case FieldRobot:
			opts.Robot = req.Value
		case FieldPhase:
			opts.Phase = req.Value
		case FieldFrom:
			opts.FinishedFrom, err = fieldselect.Time(req.Field, req.Value)
		case FieldBefore:
			opts.FinishedBefore, err = fieldselect.Time(req.Field, req.Value)
		case fieldselect.Namespace:
		default:
			err = fieldselect.Unsupported(req.Field, FieldRobot, FieldPhase, FieldFrom, FieldBefore)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func continueToken(c store.Cursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.FinishedAt.UnixMicro(), 10) + "/" + c.UID))
}

func parseContinue(token string) (store.Cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return store.Cursor{}, err
	}
	micros, uid, ok := strings.Cut(string(raw), "/")
	if !ok || uid == "" {
		return store.Cursor{}, errors.New("malformed continue token")
	}
	n, err := strconv.ParseInt(micros, 10, 64)
	if err != nil {
		return store.Cursor{}, err
	}
	return store.Cursor{FinishedAt: time.UnixMicro(n).UTC(), UID: uid}, nil
}

// statusError maps the store's errors to the API's: never the database's
// own message.
func statusError(err error, name string) error {
	if errors.Is(err, store.ErrNotFound) {
		return apierrors.NewNotFound(runRecordsResource, name)
	}
	log.Log.WithName("recordsapi").Error(err, "run-record request failed")
	return apierrors.NewInternalError(errors.New("the run-record database failed; see rpa-server's log"))
}
