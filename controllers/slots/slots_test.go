package slots

import (
	"sort"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 6, 30, 0, 0, time.UTC)

func claimant(name string, priority int32, createdAfter time.Duration) Claimant {
	return Claimant{Namespace: "hr", Name: name, UID: "uid-" + name, Priority: priority, Created: t0.Add(createdAfter)}
}

func TestMayTake(t *testing.T) {
	old := claimant("old", 0, 0)
	newer := claimant("newer", 0, time.Minute)
	urgent := claimant("urgent", 10, 2*time.Minute)
	low := claimant("low", -5, -time.Hour)
	tests := []struct {
		name    string
		c       Claimant
		waiting []Claimant
		free    int
		want    bool
	}{
		{"no slot free", old, nil, 0, false},
		{"a free slot and nobody waiting", newer, nil, 1, true},
		{"the oldest of equal priority goes first", newer, []Claimant{old, newer}, 1, false},
		{"and the oldest may take it", old, []Claimant{old, newer}, 1, true},
		{"two free slots: the second in line may take one", newer, []Claimant{old, newer}, 2, true},
		{"higher priority goes before older", old, []Claimant{old, urgent}, 1, false},
		{"the urgent run takes the slot", urgent, []Claimant{old, newer, urgent}, 1, true},
		{"low priority waits however old", low, []Claimant{old, low}, 1, false},
		{"a claimant not yet marked waiting is ranked too", newer, []Claimant{old}, 1, false},
		{"a claimant is not counted against itself", old, []Claimant{old}, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MayTake(tt.c, tt.waiting, tt.free); got != tt.want {
				t.Errorf("MayTake(%s, free %d) = %v, want %v", tt.c.Name, tt.free, got, tt.want)
			}
		})
	}
}

func TestOrderIsPriorityThenAgeThenName(t *testing.T) {
	a := claimant("a", 0, 0)
	b := claimant("b", 0, 0)
	cs := []Claimant{claimant("late", 0, time.Hour), b, claimant("high", 1, 2*time.Hour), a, claimant("neg", -1, -time.Hour)}
	sort.SliceStable(cs, func(i, j int) bool { return Before(cs[i], cs[j]) })
	got := make([]string, 0, len(cs))
	for _, c := range cs {
		got = append(got, c.Name)
	}
	want := []string{"high", "a", "b", "late", "neg"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
}

// TestEqualPriorityIsServedFirstComeFirstServed takes one slot at a time
// from a queue that keeps growing: every claimant is served in creation
// order, so none starves behind later ones.
func TestEqualPriorityIsServedFirstComeFirstServed(t *testing.T) {
	var waiting []Claimant
	var served []string
	next := 0
	for round := 0; round < 50; round++ {
		// Two arrive, one slot frees.
		for range 2 {
			waiting = append(waiting, claimant(string(rune('A'+next%26))+string(rune('a'+next/26)), 0, time.Duration(next)*time.Second))
			next++
		}
		for i, c := range waiting {
			if MayTake(c, waiting, 1) {
				served = append(served, c.Name)
				waiting = append(waiting[:i], waiting[i+1:]...)
				break
			}
		}
	}
	for i := range served {
		want := claimant(string(rune('A'+i%26))+string(rune('a'+i/26)), 0, 0).Name
		if served[i] != want {
			t.Fatalf("served %d = %s, want %s (first come, first served)", i, served[i], want)
		}
	}
	if len(served) != 50 {
		t.Fatalf("served %d, want 50", len(served))
	}
}

func TestMayTakeShare(t *testing.T) {
	in := func(ns, name string, createdAfter time.Duration) Claimant {
		return Claimant{Namespace: ns, Name: name, UID: ns + "/" + name, Created: t0.Add(createdAfter)}
	}
	hr1, hr2, hr3 := in("hr", "hr1", 0), in("hr", "hr2", time.Second), in("hr", "hr3", 2*time.Second)
	social := in("social", "s1", time.Hour)
	tests := []struct {
		name    string
		c       Claimant
		waiting []Claimant
		free    int
		share   Share
		want    bool
	}{
		{"no share: the oldest go first", social, []Claimant{hr1, hr2, social}, 2, Share{}, false},
		{"a namespace at its share may not take a free slot", hr1, []Claimant{hr1}, 3,
			Share{Limit: 2, Held: map[string]int{"hr": 2}}, false},
		{"a namespace at its share holds up nobody", social, []Claimant{hr1, hr2, hr3, social}, 1,
			Share{Limit: 2, Held: map[string]int{"hr": 2}}, true},
		{"a namespace counts ahead only as many as it has room for", social, []Claimant{hr1, hr2, hr3, social}, 2,
			Share{Limit: 2, Held: map[string]int{"hr": 1}}, true},
		{"with room for two, two go ahead", social, []Claimant{hr1, hr2, hr3, social}, 2,
			Share{Limit: 2}, false},
		{"within its share the oldest of the namespace goes first", hr2, []Claimant{hr1, hr2}, 1,
			Share{Limit: 2}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MayTakeShare(tt.c, tt.waiting, tt.free, tt.share); got != tt.want {
				t.Errorf("MayTakeShare(%s, free %d) = %v, want %v", tt.c.Name, tt.free, got, tt.want)
			}
		})
	}
}
