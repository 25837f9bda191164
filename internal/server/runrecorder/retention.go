package runrecorder

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

const (
	// AnnotationRetention on a Namespace sets how long its run records
	// are kept: days ("395d") or a Go duration ("9480h").
	AnnotationRetention = "rpa.dev/run-record-retention"
	// DefaultRetention is 13 months: a year of supervision and a month
	// for the report on it.
	DefaultRetention = 396 * 24 * time.Hour
	// MinRetention keeps a typing error from deleting last week's records.
	MinRetention = 30 * 24 * time.Hour
	// DefaultRetentionInterval is how often retention runs.
	DefaultRetentionInterval = time.Hour
)

// RecordsRetention is what retention needs of the store.
type RecordsRetention interface {
	Namespaces(ctx context.Context) ([]string, error)
	DeleteFinishedBefore(ctx context.Context, namespace string, before time.Time) (int64, error)
}

// DecisionsRetention is what retention needs of the work-item store: the
// decisions people made on items, kept as long as the run records.
type DecisionsRetention interface {
	DecisionNamespaces(ctx context.Context) ([]string, error)
	DeleteDecisionsBefore(ctx context.Context, namespace string, before time.Time) (int64, error)
}

// Retention deletes the records of each namespace older than its
// retention, and the decisions kept of its work items, on the leader only.
type Retention struct {
	Records   RecordsRetention
	Decisions DecisionsRetention
	// Namespaces reads the namespaces' annotations (the apiserver, not a cache).
	Namespaces client.Reader
	Clock      clock.PassiveClock
	Every      time.Duration
}

// Start runs retention until the context ends.
func (r *Retention) Start(ctx context.Context) error {
	every := r.Every
	if every == 0 {
		every = DefaultRetentionInterval
	}
	for {
		if err := r.Once(ctx); err != nil {
			log.FromContext(ctx).Error(err, "run-record retention; trying again", "after", every)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}

// NeedLeaderElection is true: one replica deletes.
func (r *Retention) NeedLeaderElection() bool { return true }

// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get

// Once applies every namespace's retention.
func (r *Retention) Once(ctx context.Context) error {
	namespaces, err := r.namespaces(ctx)
	if err != nil {
		return err
	}
	for _, ns := range namespaces {
		keep, err := r.retentionOf(ctx, ns)
		if err != nil {
			return err
		}
		deleted, err := r.Records.DeleteFinishedBefore(ctx, ns, r.Clock.Now().Add(-keep))
		if err != nil {
			return err
		}
		decisions, err := r.Decisions.DeleteDecisionsBefore(ctx, ns, r.Clock.Now().Add(-keep))
		if err != nil {
			return err
		}
		if deleted > 0 || decisions > 0 {
			log.FromContext(ctx).Info("deleted run records past retention", "namespace", ns, "records", deleted,
				"itemDecisions", decisions, "retention", keep)
		}
	}
	return nil
}

// namespaces are those with records or kept decisions.
func (r *Retention) namespaces(ctx context.Context) ([]string, error) {
	withRecords, err := r.Records.Namespaces(ctx)
	if err != nil {
		return nil, err
	}
	withDecisions, err := r.Decisions.DecisionNamespaces(ctx)
	if err != nil {
		return nil, err
	}
	all := append(withRecords, withDecisions...)
	slices.Sort(all)
	return slices.Compact(all), nil
}

// retentionOf reads a namespace's retention; a namespace deleted keeps
// the default, so its records stay for supervision as long as others'.
func (r *Retention) retentionOf(ctx context.Context, namespace string) (time.Duration, error) {
	ns := &corev1.Namespace{}
	err := r.Namespaces.Get(ctx, client.ObjectKey{Name: namespace}, ns)
	switch {
	case apierrors.IsNotFound(err):
		return DefaultRetention, nil
	case err != nil:
		return 0, fmt.Errorf("read namespace %s: %w", namespace, err)
	}
	value, set := ns.Annotations[AnnotationRetention]
	if !set {
		return DefaultRetention, nil
	}
	keep, err := ParseRetention(value)
	if err != nil {
		log.FromContext(ctx).Error(err, "ignoring the namespace's run-record retention; keeping the default", "namespace", namespace,
			"default", DefaultRetention)
		return DefaultRetention, nil
	}
	return keep, nil
}

// ParseRetention reads a retention: days ("395d") or a Go duration, at
// least MinRetention.
func ParseRetention(value string) (time.Duration, error) {
	var keep time.Duration
	if days, ok := strings.CutSuffix(value, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("%s %q: days must be a whole number, as in 395d", AnnotationRetention, value)
		}
		keep = time.Duration(n) * 24 * time.Hour
	} else {
		d, err := time.ParseDuration(value)
		if err != nil {
			return 0, fmt.Errorf("%s %q: write days (395d) or a duration (9480h)", AnnotationRetention, value)
		}
		keep = d
	}
	if keep < MinRetention {
		return 0, fmt.Errorf("%s %q is shorter than the least kept, %d days", AnnotationRetention, value, int(MinRetention.Hours()/24))
	}
	return keep, nil
}
