package recordsapi

import (
	"bytes"
	"context"
	"fmt"
	"io"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"

	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/runrecord/store"
)

// LogStorage is runrecords/log: the logs of every attempt of a run, as
// plain text, each under a line that names the attempt, with a marker
// where a log was cut. It is a resource of its own for RBAC: logs are the
// robot's own words and may hold personal data, so reading them is
// granted apart from reading the records (docs/rbac.md).
type LogStorage struct{ Records Records }

var (
	_ rest.Storage = &LogStorage{}
	_ rest.Getter  = &LogStorage{}
)

// New implements the apiserver's REST storage interfaces for LogStorage.
func (s *LogStorage) New() runtime.Object { return &recordsv1alpha1.RunRecord{} }

// Destroy implements the apiserver's REST storage interfaces for LogStorage.
func (s *LogStorage) Destroy() {}

// ProducesMIMETypes says the log is plain text.
func (s *LogStorage) ProducesMIMETypes(string) []string { return []string{"text/plain"} }

// ProducesObject says what the OpenAPI should name: a string.
func (s *LogStorage) ProducesObject(string) any { return "" }

// Get returns the newest record of the named run's logs.
func (s *LogStorage) Get(ctx context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	_, logs, err := latestWithLogs(ctx, s.Records, name)
	if err != nil {
		return nil, err
	}
	return &logText{content: joinLogs(logs)}, nil
}

// joinLogs puts the attempts' logs one after the other; a run with
// one attempt and a whole log reads as its log alone.
func joinLogs(logs []store.Log) []byte {
	var b bytes.Buffer
	for _, l := range logs {
		if len(logs) > 1 {
			fmt.Fprintf(&b, "==> attempt %d (pod %s) <==\n", l.Attempt, l.Pod)
		}
		b.Write(l.Content)
		if len(l.Content) > 0 && !bytes.HasSuffix(l.Content, []byte("\n")) {
			b.WriteByte('\n')
		}
		if l.Truncated {
			fmt.Fprintf(&b, "[rpa-server: the log was cut here: at most %d bytes are kept of a run's logs]\n", store.MaxLogBytesPerRun)
		}
		if l.Note != "" {
			fmt.Fprintf(&b, "[rpa-server: %s]\n", l.Note)
		}
	}
	return b.Bytes()
}

// logText is a log as the API streams it: bytes as the robot wrote them,
// served as text/plain, never as HTML.
type logText struct {
	metav1.TypeMeta
	content []byte
}

// DeepCopyObject implements runtime.Object.
func (l *logText) DeepCopyObject() runtime.Object {
	return &logText{TypeMeta: l.TypeMeta, content: bytes.Clone(l.content)}
}

// InputStream implements rest.ResourceStreamer.
func (l *logText) InputStream(context.Context, string, string) (io.ReadCloser, bool, string, error) {
	return io.NopCloser(bytes.NewReader(l.content)), false, "text/plain; charset=utf-8", nil
}
