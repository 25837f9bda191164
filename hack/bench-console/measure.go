package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/hack/internal/benchenv"
	"github.com/rpa-operator/rpa-operator/internal/console"
	"github.com/rpa-operator/rpa-operator/internal/console/kube"
	"github.com/rpa-operator/rpa-operator/internal/runhistory"
)

// sample is one page on a path: the overview's requests to kube-apiserver
// and, for the console, the page made of them.
type sample struct {
	// took is the console's server time, or the floor's requests from
	// first to last; waited is what the client waited, body read.
	took, waited time.Duration
	calls        calls
	bytes        int64
}

// pager makes one page.
type pager func(ctx context.Context) (sample, error)

// path is a way to make the overview's requests; open makes its clients
// for one measured window (so that no path's clients live on into
// another's window and keep its connections open for it).
type path struct {
	name string
	open func() (pager, error)
	// console is the console's own path, the one -profile profiles.
	console bool
}

// newPaths are the floor's two paths and the console's, in that order,
// and the what-if if asked for.
func newPaths(plane *benchenv.ControlPlane, f *fleet, c *runningConsole, whatIfParallel bool) []path {
	person := rest.AnonymousClientConfig(plane.Admin)
	person.BearerToken = f.token
	paths := []path{
		{name: "kube-apiserver: the overview's requests, answers read, not decoded", open: func() (pager, error) {
			hc, err := rest.HTTPClientFor(person)
			if err != nil {
				return nil, err
			}
			return func(ctx context.Context) (sample, error) { return rawRequests(ctx, hc, person.Host, f.namespaces) }, nil
		}},
		{name: "the same lists decoded whole (controller-runtime's typed client)", open: func() (pager, error) {
			users, err := c.users.For(f.token)
			if err != nil {
				return nil, err
			}
			return func(ctx context.Context) (sample, error) { return lists(ctx, users, f.namespaces) }, nil
		}},
		{name: "the console's GET / (server time)", console: true, open: func() (pager, error) {
			return func(ctx context.Context) (sample, error) { return c.overview(ctx, f) }, nil
		}},
	}
	if whatIfParallel {
		paths = append(paths, path{name: "what-if: the same lists, all namespaces at once", open: func() (pager, error) {
			users, err := c.users.For(f.token)
			if err != nil {
				return nil, err
			}
			return func(ctx context.Context) (sample, error) { return listsAtOnce(ctx, users, f.namespaces) }, nil
		}})
	}
	return paths
}

// overviewList is one of the lists the overview makes of each namespace
// (internal/console/overview.go): a resource, and for runs the field
// selector kube-apiserver selects them by.
type overviewList struct {
	resource string
	selector fields.Selector
}

// The resources the overview lists.
const (
	robotsResource     = "robots"
	runsResource       = "robotruns"
	workQueuesResource = "workqueues"
)

// overviewLists are the overview's lists of a namespace, in its order.
var overviewLists = []overviewList{
	{resource: robotsResource},
	{resource: runsResource, selector: fields.OneTermNotEqualSelector(runhistory.PhaseField, string(rpav1alpha1.PhaseSucceeded))},
	{resource: workQueuesResource},
}

// path is the list's URL path and query in namespace ns.
func (l overviewList) path(ns string) string {
	p := fmt.Sprintf("/apis/rpa.dev/v1alpha1/namespaces/%s/%s", ns, l.resource)
	if l.selector != nil {
		p += "?fieldSelector=" + url.QueryEscape(l.selector.String())
	}
	return p
}

// list makes the list with the console's client for the person.
func (l overviewList) list(ctx context.Context, users *kube.Clients, ns string) error {
	var list client.ObjectList
	opts := []client.ListOption{client.InNamespace(ns)}
	switch l.resource {
	case robotsResource:
		list = &rpav1alpha1.RobotList{}
	case workQueuesResource:
		list = &rpav1alpha1.WorkQueueList{}
	default:
		list = &rpav1alpha1.RobotRunList{}
		opts = append(opts, client.MatchingFieldsSelector{Selector: l.selector})
	}
	return users.Kube.List(ctx, list, opts...)
}

// selfSubjectReview is the body of the overview's first request.
var selfSubjectReview = []byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}`)

// timedCalls makes calls with ctx traced, and times them; calls returns
// the bytes it read, if it counts them.
func timedCalls(ctx context.Context, calls func(ctx context.Context) (int64, error)) (sample, error) {
	var counts callCounter
	start := time.Now()
	n, err := calls(counts.trace(ctx))
	took := time.Since(start)
	return sample{took: took, waited: took, calls: counts.calls(), bytes: n}, err
}

// rawRequests makes the overview's requests as they go over the wire,
// as many namespaces at once as the console reads, and reads the answers
// without decoding them.
func rawRequests(ctx context.Context, hc *http.Client, host string, namespaces []string) (sample, error) {
	host = strings.TrimSuffix(host, "/")
	return timedCalls(ctx, func(ctx context.Context) (int64, error) {
		n, err := call(ctx, hc, http.MethodPost, host+"/apis/authentication.k8s.io/v1/selfsubjectreviews", selfSubjectReview)
		if err != nil {
			return n, err
		}
		var read atomic.Int64
		read.Add(n)
		err = eachNamespace(ctx, namespaces, console.OverviewParallelism, func(ctx context.Context, ns string) error {
			for _, l := range overviewLists {
				m, err := call(ctx, hc, http.MethodGet, host+l.path(ns), nil)
				read.Add(m)
				if err != nil {
					return err
				}
			}
			return nil
		})
		return read.Load(), err
	})
}

// eachNamespace runs read for every namespace, at most limit at once (0:
// all at once), as the overview does (errgroup, the first error ends it).
func eachNamespace(ctx context.Context, namespaces []string, limit int, read func(ctx context.Context, ns string) error) error {
	group, ctx := errgroup.WithContext(ctx)
	if limit > 0 {
		group.SetLimit(limit)
	}
	for _, ns := range namespaces {
		group.Go(func() error { return read(ctx, ns) })
	}
	return group.Wait()
}

func call(ctx context.Context, hc *http.Client, method, url string, body []byte) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	n, err := io.Copy(io.Discard, resp.Body)
	if err == nil && resp.StatusCode >= 300 {
		err = fmt.Errorf("%s %s: %s", method, url, resp.Status)
	}
	return n, err
}

// lists makes the overview's calls with the console's clients for the
// person, as many namespaces at once as the console reads, decoding the
// answers as the overview does.
func lists(ctx context.Context, users *kube.Clients, namespaces []string) (sample, error) {
	return listsBy(ctx, users, namespaces, console.OverviewParallelism)
}

// listsAtOnce is lists with every namespace's lists made at once.
func listsAtOnce(ctx context.Context, users *kube.Clients, namespaces []string) (sample, error) {
	return listsBy(ctx, users, namespaces, 0)
}

func listsBy(ctx context.Context, users *kube.Clients, namespaces []string, limit int) (sample, error) {
	return timedCalls(ctx, func(ctx context.Context) (int64, error) {
		if _, err := users.WhoAmI(ctx); err != nil {
			return 0, err
		}
		return 0, eachNamespace(ctx, namespaces, limit, func(ctx context.Context, ns string) error {
			for _, l := range overviewLists {
				if err := l.list(ctx, users, ns); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// result is one path's window in one run.
type result struct {
	path string
	run  int
	// samples are sorted by took.
	samples []sample
	cpu     benchenv.CPU
	window  time.Duration
	// openConnections are this process's connections to kube-apiserver
	// after the window (its admin clients' among them).
	openConnections int
}

// measure makes -warmup pages, then -requests measured ones, one at a
// time.
func measure(ctx context.Context, plane *benchenv.ControlPlane, opts options, p path, run int) (result, error) {
	page, err := p.open()
	if err != nil {
		return result{}, err
	}
	for range opts.warmup {
		if _, err := page(ctx); err != nil {
			return result{}, err
		}
	}
	stopProfile := startProfile(opts.profileDir, p, run)
	cpuStart, start := plane.SampleCPU(ctx), time.Now()
	res := result{path: p.name, run: run}
	for range opts.requests {
		s, err := page(ctx)
		if err != nil {
			stopProfile()
			return result{}, err
		}
		res.samples = append(res.samples, s)
	}
	res.cpu, res.window = plane.SampleCPU(ctx).Minus(cpuStart), time.Since(start)
	stopProfile()
	if res.openConnections, err = connectionsTo(plane.Admin.Host); err != nil {
		benchenv.WarnOnce("this process's connections", err)
	}
	slices.SortFunc(res.samples, func(a, b sample) int { return int(a.took - b.took) })
	return res, nil
}

// percentile is the nearest-rank p-th percentile of the samples' took.
func (r result) percentile(p float64) time.Duration {
	i := int(math.Ceil(p/100*float64(len(r.samples)))) - 1
	return r.samples[max(i, 0)].took
}

// waitedP95 is the 95th percentile of what the client waited.
func (r result) waitedP95() time.Duration {
	waited := make([]time.Duration, len(r.samples))
	for i, s := range r.samples {
		waited[i] = s.waited
	}
	slices.Sort(waited)
	return waited[max(int(math.Ceil(0.95*float64(len(waited))))-1, 0)]
}

// perPage is the mean of a count over the window's pages.
func (r result) perPage(count func(sample) int64) float64 {
	var sum int64
	for _, s := range r.samples {
		sum += count(s)
	}
	return float64(sum) / float64(len(r.samples))
}

// startProfile profiles this process over the console's window, if asked.
func startProfile(dir string, p path, run int) func() {
	if dir == "" || !p.console {
		return func() {}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		benchenv.Say("profile: %v", err)
		return func() {}
	}
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("bench-console-run%d.pprof", run)))
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		benchenv.Say("profile this process: %v", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}
