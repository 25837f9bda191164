package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rpa-operator/rpa-operator/internal/workqueue/store"
)

// path is a way the robots reach the items.
type path string

const (
	floorPath      path = "floor: the store's transactions from one process"
	directPath     path = "rpa-server's API, directly"
	aggregatedPath path = "rpa-server's API through kube-apiserver"
)

func (p path) String() string { return string(p) }

// pathNames are the paths by the names -paths takes, and profiles carry.
var pathNames = map[string]path{"floor": floorPath, "direct": directPath, "aggregated": aggregatedPath}

func pathNamed(name string) (path, bool) {
	p, ok := pathNames[name]
	return p, ok
}

// short is the path's name in -paths and in file names.
func (p path) short() string {
	for name, q := range pathNames {
		if q == p {
			return name
		}
	}
	return string(p)
}

// takers sets up the path's queue and robots for a run.
func (p path) takers(ctx context.Context, e *environment, opts options, run int) (store.Queue, []taker, error) {
	switch p {
	case floorPath:
		q, takers := floorTakers(e, run, opts.robots)
		return q, takers, nil
	case directPath:
		return apiTakers(ctx, e, opts.robots, e.api.address, e.api.ca)
	default:
		roots, err := e.CA()
		if err != nil {
			return store.Queue{}, nil, err
		}
		return apiTakers(ctx, e, opts.robots, e.Admin.Host, roots)
	}
}

// result is one path's measurement in one run, over the measured window:
// after the warm-up items until the queue was empty.
type result struct {
	path path
	run  int
	// done is how many items were reported done in the window.
	done     int
	window   time.Duration
	p50, p99 time.Duration
	cpu      cpuSample
}

func (r result) perSecond() float64 { return float64(r.done) / r.window.Seconds() }

// measure fills a fresh queue with the warm-up's and the measured items
// and lets the path's robots work through it.
func measure(ctx context.Context, e *environment, opts options, p path, run int) (result, error) {
	q, takers, err := p.takers(ctx, e, opts, run)
	if err != nil {
		return result{}, err
	}
	if err := addItems(ctx, e, q, opts.warmup+opts.items); err != nil {
		return result{}, err
	}
	var profiles *profiles
	w := &window{warmup: opts.warmup, begin: func() cpuSample {
		if opts.profileDir != "" && p != floorPath {
			profiles = startProfiles(ctx, e, opts.profileDir, fmt.Sprintf("%s-run%d", p.short(), run))
		}
		return e.sampleCPU(ctx)
	}}
	ops, err := w.drive(ctx, takers)
	cpuEnd := e.sampleCPU(ctx)
	profiles.stop()
	if err != nil {
		return result{}, err
	}
	return summarize(p, run, w, ops, cpuEnd), nil
}

// op is one item as a robot saw it.
type op struct {
	takeStart time.Time
	take      time.Duration
	doneAt    time.Time
}

// window is the measured part of a drive: it begins when the warm-up's
// last item is reported done and ends when every robot has found the
// queue empty.
type window struct {
	warmup int
	// begin is called once, as the window begins, for the CPU times then.
	begin      func() cpuSample
	once       sync.Once
	start, end time.Time
	cpuStart   cpuSample
}

func (w *window) open() {
	w.once.Do(func() {
		w.start = time.Now()
		w.cpuStart = w.begin()
	})
}

// drive runs every taker at once, each taking an item and reporting it
// done until none waits, and returns what they did. The first error stops
// them all.
func (w *window) drive(ctx context.Context, takers []taker) ([]op, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var completed atomic.Int64
	if w.warmup == 0 {
		w.open()
	}
	ops := make([][]op, len(takers))
	var wg sync.WaitGroup
	for i, t := range takers {
		wg.Go(func() {
			for {
				o, more, err := takeAndComplete(ctx, t)
				if err != nil {
					cancel(fmt.Errorf("robot %d: %w", i, err))
					return
				}
				if !more {
					return
				}
				ops[i] = append(ops[i], o)
				if completed.Add(1) == int64(w.warmup) {
					w.open()
				}
			}
		})
	}
	wg.Wait()
	w.end = time.Now()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	if w.start.IsZero() {
		return nil, fmt.Errorf("the queue was empty after %d of the %d warm-up items", completed.Load(), w.warmup)
	}
	return slices.Concat(ops...), nil
}

// takeAndComplete is one turn of a robot's loop; more is false when the
// queue is empty.
func takeAndComplete(ctx context.Context, t taker) (o op, more bool, err error) {
	o.takeStart = time.Now()
	id, ok, err := t.take(ctx)
	o.take = time.Since(o.takeStart)
	if err != nil || !ok {
		return o, false, err
	}
	if err := t.done(ctx, id); err != nil {
		return o, false, fmt.Errorf("done %s: %w", id, err)
	}
	o.doneAt = time.Now()
	return o, true, nil
}

// summarize counts the items reported done in the window and the takes
// begun in it.
func summarize(p path, run int, w *window, ops []op, cpuEnd cpuSample) result {
	r := result{path: p, run: run, window: w.end.Sub(w.start), cpu: cpuEnd.minus(w.cpuStart)}
	var takes []time.Duration
	for _, o := range ops {
		if o.doneAt.After(w.start) {
			r.done++
		}
		if !o.takeStart.Before(w.start) {
			takes = append(takes, o.take)
		}
	}
	slices.Sort(takes)
	if len(takes) > 0 {
		r.p50, r.p99 = takes[len(takes)/2], takes[len(takes)*99/100]
	}
	return r
}
