package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rpa-operator/rpa-operator/internal/workqueue"
)

// BenchmarkTakeAndCompleteSixteenTakers is the floor the work-item API is
// measured against (docs/benchmarks.md): 16 takers in one process, each
// taking an item and reporting it done straight against PostgreSQL, as
// many times in all as b.N. It reports items per second and the p99 of a
// take.
func BenchmarkTakeAndCompleteSixteenTakers(b *testing.B) {
	const takers = 16
	ctx := context.Background()
	s, err := Open(ctx, serverURL, Options{ReferenceKey: testKey})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	q := Queue{Namespace: uniqueName("bench"), Name: "certificates", MaxAttempts: 3}
	batch := make([]NewItem, 0, 1000)
	for i := range b.N {
		batch = append(batch, NewItem{Payload: payload(fmt.Sprint(i))})
		if len(batch) == cap(batch) || i == b.N-1 {
			if _, err := s.Add(ctx, q, "bench", batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	var remaining atomic.Int64
	remaining.Store(int64(b.N))
	latencies := make([][]time.Duration, takers)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := range takers {
		wg.Go(func() {
			holder := Holder{Run: fmt.Sprintf("run-%d", w), Pod: fmt.Sprintf("pod-%d", w), PodUID: fmt.Sprintf("bench-uid-%d", w)}
			for remaining.Add(-1) >= 0 {
				t0 := time.Now()
				it, err := s.Take(ctx, q, "bench", holder)
				latencies[w] = append(latencies[w], time.Since(t0))
				if err != nil || it == nil {
					b.Errorf("take: %v (item %v)", err, it)
					return
				}
				if _, err := s.Complete(ctx, q, it.ID, "bench", holder, Outcome{Action: workqueue.ActionDone}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(latencies...)
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(len(all))/elapsed.Seconds(), "items/s")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-take-ms")
	}
}
