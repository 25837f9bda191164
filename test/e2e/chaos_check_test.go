//go:build e2e && chaos

package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox"
)

// scheduleTally is what the checker finds for the scheduled robots.
type scheduleTally struct {
	due, runs, duplicates, skipped, missed, silent int
	jobsTwice                                      int
	// unrun says, per robot with a silent miss, the times due that have
	// no run, for the failure's message.
	unrun []string
	// silentRobots are those robots' names.
	silentRobots []string
}

// checkChaos reads the final state only: the robots' status and runs, the
// Jobs, the work items and the sandbox's journal; it fails the test on a
// duplicate, a silent miss, or an item lost or journaled twice, and
// returns the table for docs/reliability.md.
func checkChaos(t *testing.T, ns string, sb sandboxDeployment, robots []string, p *producer, j *journalOfFaults,
	leader *leaderWatch, cfg chaosConfig, start, end time.Time) string {
	t.Helper()
	g := NewWithT(t)
	s := tallySchedules(g, ns, robots)
	added, done, lost, twice := tallyItems(t, g, ns, sb, p)

	var b strings.Builder
	fmt.Fprintf(&b, "Chaos run of %s (%s to %s UTC), %d robots every minute, a queue fleet of 2 runs, manual runs; operator 2 replicas, rpa-server 2.\n\n",
		cfg.duration, start.UTC().Format("2006-01-02 15:04"), end.UTC().Format("15:04"), len(robots))
	b.WriteString("| scheduled times due | runs created | duplicates | skipped (counted) | missed (counted) | missed silently | Jobs twice for a run |\n|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %d | %d | %d |\n\n", s.due, s.runs, s.duplicates, s.skipped, s.missed, s.silent, s.jobsTwice)
	b.WriteString("| items added | done | done twice (journal) | lost |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %d |\n\n", added, done, twice, lost)
	b.WriteString(faultTable(j))
	fmt.Fprintf(&b, "\nLongest time without a leader (between two renewals of the manager's Lease): %s.\n", leader)

	// The table first: a failed check below still shows it.
	t.Log("\n" + b.String())
	explainSilentMisses(t, ns, s)
	g.Expect(s.duplicates).To(BeZero(), "scheduled times run twice")
	g.Expect(s.silent).To(BeZero(), "scheduled times missed without being counted:\n%s", strings.Join(s.unrun, "\n"))
	g.Expect(s.jobsTwice).To(BeZero(), "runs with two Jobs")
	g.Expect(lost).To(BeZero(), "items lost")
	g.Expect(twice).To(BeZero(), "certificates journaled twice")
	g.Expect(unrecovered(j)).To(BeEmpty(), "faults the cluster did not recover from within %s", maxRecovery)
	return b.String()
}

// tallySchedules compares, per robot, the scheduled times due since the
// robot was created and up to what its status says it handled, with the
// runs created for them and the times it counted as skipped or missed.
func tallySchedules(g Gomega, ns string, robots []string) scheduleTally {
	var s scheduleTally
	runs := runsIn(g, ns)
	var jobs batchv1.JobList
	g.Expect(k8sClient.List(context.Background(), &jobs, client.InNamespace(ns))).To(Succeed())
	jobsOf := map[string]int{}
	for _, job := range jobs.Items {
		for _, o := range job.OwnerReferences {
			jobsOf[o.Name]++
		}
	}
	for _, n := range jobsOf {
		if n > 1 {
			s.jobsTwice++
		}
	}
	for _, name := range robots {
		var r rpav1alpha1.Robot
		g.Expect(k8sClient.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &r)).To(Succeed())
		g.Expect(r.Status.Schedules).NotTo(BeEmpty(), name)
		handled := r.Status.Schedules[0].HandledUntil
		g.Expect(handled).NotTo(BeNil(), "%s has handled times", name)
		due := minutesBetween(r.CreationTimestamp.Time, handled.Time)
		seen := map[time.Time]int{}
		for _, run := range runs {
			if run.Spec.RobotName != name || run.Spec.Trigger.Type != rpav1alpha1.TriggerSchedule || run.Spec.Trigger.ScheduledTime == nil {
				continue
			}
			at := run.Spec.Trigger.ScheduledTime.Time
			if at.After(handled.Time) {
				continue
			}
			seen[at]++
		}
		created := 0
		for _, n := range seen {
			created += n
			s.duplicates += n - 1
		}
		s.due += due
		s.runs += created
		s.skipped += int(r.Status.SkippedRuns)
		s.missed += int(r.Status.MissedRuns)
		if silent := due - len(seen) - int(r.Status.SkippedRuns) - int(r.Status.MissedRuns); silent > 0 {
			s.silent += silent
			s.silentRobots = append(s.silentRobots, name)
			s.unrun = append(s.unrun, fmt.Sprintf("%s (created %s, handled until %s, %d skipped, %d missed): no run for %s",
				name, r.CreationTimestamp.UTC().Format(time.TimeOnly), handled.UTC().Format(time.TimeOnly),
				r.Status.SkippedRuns, r.Status.MissedRuns, strings.Join(unrunTimes(r.CreationTimestamp.Time, handled.Time, seen), ", ")))
		}
	}
	return s
}

// explainSilentMisses logs, for each robot with a silent miss, its
// status and Events, before the namespace goes.
func explainSilentMisses(t *testing.T, ns string, s scheduleTally) {
	t.Helper()
	for _, name := range s.silentRobots {
		t.Logf("robot %s:\n%s\nits Events:\n%s", name, kubectl(t, "-n", ns, "get", "robot", name, "-o", "yaml"),
			kubectl(t, "-n", ns, "get", "events", "--field-selector", "involvedObject.name="+name))
	}
}

// unrunTimes lists the minutes m with from < m <= to that have no run.
func unrunTimes(from, to time.Time, seen map[time.Time]int) []string {
	var out []string
	for m := from.Truncate(time.Minute).Add(time.Minute); !m.After(to); m = m.Add(time.Minute) {
		if seen[m] == 0 {
			out = append(out, m.UTC().Format(time.TimeOnly))
		}
	}
	return out
}

// minutesBetween counts the whole minutes m with from < m <= to.
func minutesBetween(from, to time.Time) int {
	first := from.Truncate(time.Minute).Add(time.Minute)
	if first.After(to) {
		return 0
	}
	return int(to.Sub(first)/time.Minute) + 1
}

// tallyItems compares what the producer added with how the items ended
// and with the sandbox's journal: each certificate journaled once.
func tallyItems(t *testing.T, g Gomega, ns string, sb sandboxDeployment, p *producer) (added, done, lost, twice int) {
	items := listItems(g, workItems(t), ns, p.queue)
	added = p.count()
	got := map[string]bool{}
	for _, it := range items {
		got[it.Spec.Reference] = true
		if it.Status.State == "Done" || it.Status.State == "BusinessException" {
			done++
		}
	}
	for n := 1; n <= added; n++ {
		if !got[fmt.Sprintf("SA-%06d", n)] {
			lost++
		}
	}
	for _, c := range countBy(sandboxJournal(g, sb), func(e sandbox.JournalEntry) string { return e.CertificateID }) {
		twice += c - 1
	}
	return added, done, lost, twice
}

// faultTable is how often each fault struck and how long the cluster took
// to recover (p50, max): until a new leader renewed its lease, both
// rpa-server replicas were ready, the work-item API or kube-apiserver
// answered, containerd answered.
func faultTable(j *journalOfFaults) string {
	j.mu.Lock()
	defer j.mu.Unlock()
	by := map[string][]time.Duration{}
	failed, stuck, struck := map[string]int{}, map[string]int{}, map[string]int{}
	var kinds []string
	for _, e := range j.entries {
		if _, ok := by[e.kind]; !ok {
			kinds = append(kinds, e.kind)
			by[e.kind] = nil
		}
		switch e.recovered {
		case notApplied:
			failed[e.kind]++
			continue
		case notRecovered:
			stuck[e.kind]++
			continue
		case noRecovery:
			struck[e.kind]++
			continue
		}
		by[e.kind] = append(by[e.kind], e.recovered)
	}
	var b strings.Builder
	b.WriteString("| fault | struck | not applied (nothing to hit) | not recovered in 5 min | recovery p50 | recovery max |\n|---|---|---|---|---|---|\n")
	for _, k := range kinds {
		ds := slices.Clone(by[k])
		slices.Sort(ds)
		p50, most := "-", "-"
		if len(ds) > 0 {
			p50, most = ds[len(ds)/2].Round(100*time.Millisecond).String(), ds[len(ds)-1].Round(100*time.Millisecond).String()
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %s | %s |\n", k, len(ds)+stuck[k]+struck[k], failed[k], stuck[k], p50, most)
	}
	return b.String()
}

// reliabilityMarkers enclose the table that make chaos writes.
const (
	reliabilityBegin = "<!-- chaos table: begin (written by make chaos) -->"
	reliabilityEnd   = "<!-- chaos table: end -->"
)

// writeReliabilityTable puts the table between the markers of the file.
func writeReliabilityTable(t *testing.T, path, table string) {
	t.Helper()
	g := NewWithT(t)
	data, err := os.ReadFile(path)
	g.Expect(err).NotTo(HaveOccurred())
	doc := string(data)
	i, k := strings.Index(doc, reliabilityBegin), strings.Index(doc, reliabilityEnd)
	g.Expect(i >= 0 && k > i).To(BeTrue(), "%s has the chaos table's markers", path)
	doc = doc[:i+len(reliabilityBegin)] + "\n" + table + "\n" + doc[k:]
	g.Expect(os.WriteFile(path, []byte(doc), 0o644)).To(Succeed())
}

// sandboxJournal is the sandbox's journal, for the checker.
func sandboxJournal(g Gomega, sb sandboxDeployment) []sandbox.JournalEntry {
	var journal struct{ Entries []sandbox.JournalEntry }
	sb.read(g, "/esdh/journal", &journal)
	return journal.Entries
}

// unrecovered lists the faults the cluster did not recover from.
func unrecovered(j *journalOfFaults) []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []string
	for _, e := range j.entries {
		if e.recovered == notRecovered {
			out = append(out, e.kind+" at "+e.at.Format("15:04:05"))
		}
	}
	return out
}
