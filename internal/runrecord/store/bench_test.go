package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rpa-operator/rpa-operator/internal/pgtest"
)

// BenchmarkStoragePer1000Runs is what docs/audit.md says the records cost
// on disk: 1,000 records of a certificate robot's runs, each with one
// attempt's log of the size given, written into a database of their own,
// then PostgreSQL's own count of the tables' and indexes' size (after
// VACUUM, so that what is counted is what stays). It reports MiB per 1,000
// runs; b.N is ignored beyond the first 1,000.
func BenchmarkStoragePer1000Runs(b *testing.B) {
	for _, logBytes := range []int{0, 4 << 10, 64 << 10} {
		b.Run(fmt.Sprintf("log=%dKiB", logBytes>>10), func(b *testing.B) {
			ctx := context.Background()
			url, err := pgtest.NewDatabase(ctx, serverURL)
			if err != nil {
				b.Fatal(err)
			}
			s, err := Open(ctx, url, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.ResetTimer()
			for i := range 1000 {
				r := realisticRecord(i)
				if _, err := s.Add(ctx, r); err != nil {
					b.Fatal(err)
				}
				if logBytes > 0 {
					if err := s.PutLog(ctx, Log{RunUID: r.UID, Namespace: r.Namespace, Pod: r.Run + "-7xk2p", Attempt: 1,
						Content: realisticLog(i, logBytes), Complete: true}); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			bytes, err := tableBytes(ctx, url)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(bytes)/(1<<20), "MiB/1000runs")
		})
	}
}

// realisticRecord is a scheduled run of certificate-journal as the e2e
// sample makes them: two arguments, one credential, one system, a result,
// 40 work items.
func realisticRecord(i int) Record {
	start := t0.Add(time.Duration(i) * 15 * time.Minute)
	items := make([]int64, 40)
	for j := range items {
		items[j] = int64(i*40 + j)
	}
	return Record{
		UID: fmt.Sprintf("6f1c2b7e-0c1d-4e8a-9b3f-%012d", i), Namespace: "rpa-hr", Robot: "certificate-journal",
		Run:         fmt.Sprintf("certificate-journal-%d", 29000000+i),
		Trigger:     Trigger{Type: "Schedule", Schedule: "weekdays", ScheduledTime: &start},
		RequestedBy: "system:serviceaccount:rpa-system:rpa-operator-controller-manager",
		Arguments:   map[string]string{"batchSize": "40", "mode": "journal"},
		Image:       "registry.kommune.dk/rpa/certificate-journal:1.4.2",
		ImageID:     "registry.kommune.dk/rpa/certificate-journal@sha256:9f2b4c1d0e8a7f6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b",
		Credentials: []Credential{{Name: "esdh", SecretName: "certificate-journal-esdh", Account: "rpa-hr-journal"}},
		Systems:     []string{"esdh-sbsys"},
		CreatedAt:   start, StartedAt: &start, FinishedAt: start.Add(4 * time.Minute),
		Phase: "Succeeded", Reason: "Completed", Message: "the robot finished; 40 items processed, 1 business exception",
		Attempts: 1, Result: json.RawMessage(`{"itemsProcessed":40,"itemsSucceeded":39,"itemsFailed":0,"businessExceptions":1,"summary":"39 certificates journaled, 1 sent to HR"}`),
		WorkItems: items,
	}
}

// realisticLog is JSON lines as robots write them (slog), with the case
// numbers and times that make each line differ, about size bytes.
func realisticLog(run, size int) []byte {
	rng := rand.New(rand.NewPCG(uint64(run), 7))
	var b strings.Builder
	for n := 0; b.Len() < size; n++ {
		fmt.Fprintf(&b, `{"time":"2026-12-02T07:%02d:%02d.%06dZ","level":"INFO","msg":"journaled","certificate":"2026-%05d","case":"SAG-%07d","took_ms":%d}`+"\n",
			n/60%60, n%60, rng.IntN(1000000), rng.IntN(100000), rng.IntN(10000000), rng.IntN(2000))
	}
	return []byte(b.String()[:size])
}

// tableBytes is the on-disk size of the records' tables, their TOAST and
// their indexes.
func tableBytes(ctx context.Context, url string) (int64, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return 0, err
	}
	defer func() { _ = conn.Close(ctx) }()
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE run_records, run_record_logs"); err != nil {
		return 0, err
	}
	var total int64
	err = conn.QueryRow(ctx, `SELECT pg_total_relation_size('run_records') + pg_total_relation_size('run_record_logs')`).Scan(&total)
	return total, err
}
