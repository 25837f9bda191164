package store

import (
	"time"

	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/rpa-operator/rpa-operator/internal/pgtest"
	"github.com/rpa-operator/rpa-operator/internal/workqueue"
)

// TestSixteenTakersTakeEachOfFiveThousandItemsOnce: robots taking from one
// queue at once never hold the same item, and none is left behind.
func TestSixteenTakersTakeEachOfFiveThousandItemsOnce(t *testing.T) {
	const items, takers = 5000, 16
	f := newFixture(t)
	ctx := context.Background()
	batch := make([]NewItem, 0, items)
	for i := range items {
		batch = append(batch, NewItem{Reference: fmt.Sprintf("cert-%05d", i), Payload: payload(fmt.Sprint(i))})
	}
	f.add(t, batch...)

	taken := make([][]int64, takers)
	errs := make(chan error, takers)
	var wg sync.WaitGroup
	for w := range takers {
		wg.Go(func() {
			holder := pod(w)
			for {
				it, err := f.store.Take(ctx, f.queue, robotActor, holder)
				if err != nil || it == nil {
					errs <- err
					return
				}
				taken[w] = append(taken[w], it.ID)
				if _, err := f.store.Complete(ctx, f.queue, it.ID, robotActor, holder, Outcome{Action: workqueue.ActionDone}); err != nil {
					errs <- fmt.Errorf("taker %d completing item %d: %w", w, it.ID, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	seen := map[int64]int{}
	busy := 0
	for w := range taken {
		for _, id := range taken[w] {
			seen[id]++
		}
		if len(taken[w]) > 0 {
			busy++
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("item %d was taken %d times", id, n)
		}
	}
	if len(seen) != items {
		t.Errorf("%d items taken, want %d", len(seen), items)
	}
	if busy < takers/2 {
		t.Errorf("only %d of %d takers got items: taking is serialised", busy, takers)
	}
	d, err := f.store.Depth(ctx, f.queue, time.Time{})
	if err != nil || d.Counts[workqueue.Done] != items || d.Counts[workqueue.New] != 0 || d.Counts[workqueue.InProgress] != 0 {
		t.Errorf("depth %+v, %v; want all %d Done", d.Counts, err, items)
	}
}

// TestConcurrentAddsOfTheSameReferencesMakeOneItemEach: sixteen producers
// add the same 200 unique references in different orders, as two
// caseworkers uploading the same list would: one item per reference, and
// every producer is told the same item.
func TestConcurrentAddsOfTheSameReferencesMakeOneItemEach(t *testing.T) {
	const refs, producers = 200, 16
	f := newFixture(t)
	f.queue.UniqueReferences = true
	ctx := context.Background()
	results := make([]map[string]int64, producers)
	errs := make(chan error, producers)
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			order := rand.Perm(refs)
			batch := make([]NewItem, 0, refs)
			for _, i := range order {
				batch = append(batch, NewItem{Reference: fmt.Sprintf("cpr-%03d", i), Payload: payload(fmt.Sprint(i))})
			}
			added, err := f.store.Add(ctx, f.queue, fmt.Sprintf("producer-%d", p), batch)
			if err != nil {
				errs <- err
				return
			}
			results[p] = map[string]int64{}
			for i, a := range added {
				results[p][batch[i].Reference] = idOf(a)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	items, err := f.store.List(ctx, ListOptions{Namespace: f.queue.Namespace})
	if err != nil || len(items) != refs {
		t.Fatalf("%d items, %v; want %d, one per reference", len(items), err, refs)
	}
	for p := 1; p < producers; p++ {
		for ref, id := range results[0] {
			if results[p][ref] != id {
				t.Errorf("reference %s: producer 0 was told item %d, producer %d item %d", ref, id, p, results[p][ref])
			}
		}
	}
}

// idOf is the id of the item a reference has: the one just added, or the
// one the queue had.
func idOf(a Added) int64 {
	if a.Existing {
		return a.ExistingID
	}
	return a.Item.ID
}

// TestServersStartingTogetherMigrateOnce: replicas of the server open one
// fresh database at the same moment; the advisory lock lets one migrate
// and the others find the schema ready.
func TestServersStartingTogetherMigrateOnce(t *testing.T) {
	ctx := context.Background()
	dbURL, err := pgtest.NewDatabase(ctx, serverURL)
	if err != nil {
		t.Fatal(err)
	}
	const servers = 4
	errs := make(chan error, servers)
	var wg sync.WaitGroup
	for range servers {
		wg.Go(func() {
			s, err := Open(ctx, dbURL, Options{ReferenceKey: testKey})
			if err == nil {
				s.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
