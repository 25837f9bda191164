package kube

import (
	"context"
	"time"

	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// Queue is a controller's work queue as handlers see it.
type Queue = workqueue.TypedRateLimitingInterface[reconcile.Request]

// AddFunc adds a request to a queue in some way of its own.
type AddFunc func(q Queue, req reconcile.Request)

// AddingWith passes every event on to h with a queue whose Add is add, so
// that controller-runtime's handlers (owner, map) can be delayed or
// lowered without writing them again.
func AddingWith(h handler.EventHandler, add AddFunc) handler.EventHandler {
	return adapted{EventHandler: h, add: add}
}

// Delayed adds a request d later. A priority queue keeps the earlier of
// two times for one request, so a request due sooner is not held back.
func Delayed(d time.Duration) AddFunc {
	return func(q Queue, req reconcile.Request) { q.AddAfter(req, d) }
}

// LowPriority adds a request at low priority where the queue has
// priorities (controller-runtime's default), plainly where it does not.
func LowPriority(q Queue, req reconcile.Request) {
	if pq, ok := q.(priorityqueue.PriorityQueue[reconcile.Request]); ok {
		pq.AddWithOpts(priorityqueue.AddOpts{Priority: ptr.To(handler.LowPriority)}, req)
		return
	}
	q.Add(req)
}

type adapted struct {
	handler.EventHandler
	add AddFunc
}

func (h adapted) Create(ctx context.Context, e event.CreateEvent, q Queue) {
	h.EventHandler.Create(ctx, e, adaptedQueue{q, h.add})
}

func (h adapted) Update(ctx context.Context, e event.UpdateEvent, q Queue) {
	h.EventHandler.Update(ctx, e, adaptedQueue{q, h.add})
}

func (h adapted) Delete(ctx context.Context, e event.DeleteEvent, q Queue) {
	h.EventHandler.Delete(ctx, e, adaptedQueue{q, h.add})
}

func (h adapted) Generic(ctx context.Context, e event.GenericEvent, q Queue) {
	h.EventHandler.Generic(ctx, e, adaptedQueue{q, h.add})
}

// adaptedQueue hides the queue's own Add (and, for a priority queue, its
// AddWithOpts) from the handler, which then calls Add.
type adaptedQueue struct {
	Queue
	add AddFunc
}

func (q adaptedQueue) Add(req reconcile.Request) { q.add(q.Queue, req) }
