package holds

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// sweeper sends every holding pod's UID to the controller at start and
// every interval: a pod deleted while rpa-server was down, or whose
// deletion it missed, left no event to react to.
type sweeper struct {
	items Items
	every time.Duration
	out   chan<- event.GenericEvent
}

func (s *sweeper) Start(ctx context.Context) error {
	ticker := time.NewTicker(s.every)
	defer ticker.Stop()
	for {
		s.sweep(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

func (s *sweeper) sweep(ctx context.Context) {
	uids, err := s.items.Holders(ctx)
	if err != nil {
		log.FromContext(ctx).Error(err, "list the pods holding items")
		return
	}
	for _, uid := range uids {
		holder := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{UID: types.UID(uid)}}
		select {
		case s.out <- event.GenericEvent{Object: holder}:
		case <-ctx.Done():
			return
		}
	}
}

// podStops is the source of pods that stop or go.
func podStops(mgr manager.Manager) source.Source {
	return source.Kind(mgr.GetCache(), &corev1.Pod{}, handler.TypedEventHandler[*corev1.Pod, reconcile.Request](stopHandler{}))
}

// sweepSource turns the sweeper's events into requests by UID.
func sweepSource(events <-chan event.GenericEvent) source.Source {
	return source.Channel(events, handler.Funcs{
		GenericFunc: func(_ context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			q.Add(byUID(e.Object))
		},
	})
}
