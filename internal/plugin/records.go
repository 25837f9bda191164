package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/rest"

	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/apipages"
)

// recordsScheme knows the run-record API's kinds, the plugin's own, as
// workItemsScheme is.
var recordsScheme = newRecordsScheme()

func newRecordsScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(recordsv1alpha1.AddToScheme(s))
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	return s
}

// newRecordsClient is a REST client for records.rpa.dev/v1alpha1 with the
// user's credentials.
func newRecordsClient(cfg *rest.Config) (rest.Interface, error) {
	c := rest.CopyConfig(cfg)
	c.APIPath = "/apis"
	c.GroupVersion = &recordsv1alpha1.SchemeGroupVersion
	c.NegotiatedSerializer = serializer.NewCodecFactory(recordsScheme).WithoutConversion()
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	return rest.RESTClientFor(c)
}

// errNoRecords means the run-record API is not served here, or this user
// may not read it: the plugin then shows what the cluster still has.
var errNoRecords = errors.New("run records are not available")

// recordsError tells a missing API (kube-apiserver's plain 404, 503) or
// a missing permission from other failures.
func recordsError(err error) error {
	switch {
	case apierrors.IsNotFound(err) && apierrors.IsUnexpectedServerError(err), apierrors.IsServiceUnavailable(err):
		return fmt.Errorf("%w: records.rpa.dev is not served (is rpa-server installed?): %s", errNoRecords, apiMessage(err))
	case apierrors.IsForbidden(err):
		return fmt.Errorf("%w: %s", errNoRecords, apiMessage(err))
	}
	return err
}

// robotRecords lists the robot's records, newest first, at most limit (0:
// all).
func robotRecords(ctx context.Context, env *Env, robot string, limit int) ([]recordsv1alpha1.RunRecord, error) {
	return listAll(ctx, env.Records, recordsError, env.Namespace, "runrecords", fields.OneTermEqualSelector("spec.robotName", robot).String(), limit,
		func() *recordsv1alpha1.RunRecordList { return &recordsv1alpha1.RunRecordList{} },
		func(l *recordsv1alpha1.RunRecordList) ([]recordsv1alpha1.RunRecord, string) {
			return l.Items, l.Continue
		})
}

// listAll lists a resource of rpa-server's APIs (apipages.All); explain
// turns the API's errors into the plugin's.
func listAll[T any, L runtime.Object](ctx context.Context, api rest.Interface, explain func(error) error, namespace, resource, selector string,
	limit int, newList func() L, itemsOf func(L) ([]T, string)) ([]T, error) {
	items, err := apipages.All(ctx, api, namespace, resource, selector, limit, newList, itemsOf)
	if err != nil {
		return nil, explain(err)
	}
	return items, nil
}

// recordedLog copies the recorded log of a run to w, with control
// characters escaped. found is false when no record of the run exists.
func recordedLog(ctx context.Context, env *Env, run string, w io.Writer) (found bool, err error) {
	stream, err := env.Records.Get().Namespace(env.Namespace).Resource("runrecords").Name(run).SubResource("log").Stream(ctx)
	if err != nil {
		var status apierrors.APIStatus
		if apierrors.IsNotFound(err) && errors.As(err, &status) && status.Status().Details != nil {
			return false, nil // rpa-server's own NotFound: no record of that run
		}
		return false, recordsError(err)
	}
	defer func() { _ = stream.Close() }()
	if err := copyTerminalSafe(w, stream); err != nil {
		return true, fmt.Errorf("read the recorded log of run %s: %w", run, err)
	}
	return true, nil
}
