package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/jackc/pgx/v5"

	"github.com/rpa-operator/rpa-operator/hack/internal/benchenv"
	runrecords "github.com/rpa-operator/rpa-operator/internal/runrecord/store"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/store"
)

// referenceKey is the store's key for unique references; the benchmark's
// items have none, but the store needs one.
var referenceKey = []byte("bench-queue's reference key, 32 bytes or more")

// environment is everything the benchmark started, and clients of it.
type environment struct {
	dir      string
	postgres *postgres
	// ControlPlane is etcd and kube-apiserver with the aggregation layer,
	// and the admin's clients.
	*benchenv.ControlPlane
	items   *store.Store
	records *runrecords.Store
	api     *apiServer
}

// startEnvironment starts PostgreSQL, etcd and kube-apiserver with the
// aggregation layer and the CRDs, and rpa-server's API server in this
// process; when the aggregated path is measured it registers the
// APIService. On error the environment holds what was started, for stop.
func startEnvironment(ctx context.Context, opts options) (*environment, error) {
	e := &environment{}
	var err error
	if e.dir, err = os.MkdirTemp("", "rpa-bench-queue-"); err != nil {
		return e, err
	}
	if e.postgres, err = startPostgres(opts.root); err != nil {
		return e, err
	}
	e.ControlPlane, err = benchenv.StartControlPlane(opts.root, filepath.Join(e.dir, "front-proxy"))
	if err != nil {
		return e, err
	}
	if e.items, err = store.Open(ctx, e.postgres.url, store.Options{ReferenceKey: referenceKey}); err != nil {
		return e, fmt.Errorf("open the store: %w", err)
	}
	if e.records, err = runrecords.Open(ctx, e.postgres.url, nil); err != nil {
		return e, fmt.Errorf("open the run records: %w", err)
	}
	if e.api, err = startAPIServer(ctx, e, opts.robotsNotReviewed); err != nil {
		return e, err
	}
	if opts.aggregated() {
		if err := registerAPIService(ctx, e.Kube, e.api.port); err != nil {
			return e, err
		}
	}
	return e, nil
}

// stop stops what startEnvironment started, last first: the API server,
// the store, kube-apiserver and etcd (envtest, by the processes it
// started), PostgreSQL (by the pid it recorded).
func (e *environment) stop() {
	if e.api != nil {
		e.api.stop()
	}
	if e.items != nil {
		e.items.Close()
	}
	if e.records != nil {
		e.records.Close()
	}
	e.Stop() // etcd and kube-apiserver
	if e.postgres != nil {
		e.postgres.stop()
	}
	if e.dir != "" {
		_ = os.RemoveAll(e.dir)
	}
}

// postgres is a server hack/postgres.sh started in dir.
type postgres struct {
	script, dir, url string
}

// startPostgres starts PostgreSQL from Debian's packages as the store's
// tests do (internal/pgtest), in a directory of its own (the script gives
// it to the postgres user when run as root), kept so that the server's
// processes can be found for their CPU time.
func startPostgres(root string) (*postgres, error) {
	dir, err := os.MkdirTemp("", "rpa-bench-queue-pg-")
	if err != nil {
		return nil, err
	}
	p := &postgres{script: filepath.Join(root, "hack", "postgres.sh"), dir: dir}
	if p.url, err = benchenv.Output(root, "hack/postgres.sh", "start", dir); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// stop stops the server by the pid in its postmaster.pid (the script's
// stop), and removes its directory.
func (p *postgres) stop() {
	if out, err := exec.Command(p.script, "stop", p.dir).CombinedOutput(); err != nil {
		fmt.Fprintf(progress, "bench-queue: stop PostgreSQL: %v: %s\n", err, out)
	}
	_ = os.RemoveAll(p.dir)
}

// postmasterPID is the server's main process, which forks a backend per
// connection.
func (p *postgres) postmasterPID() (int, error) {
	data, err := os.ReadFile(filepath.Join(p.dir, "data", "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	var pid int
	_, err = fmt.Sscan(string(data), &pid)
	return pid, err
}

// analyze updates the planner's statistics of the work-item tables, as
// autovacuum does within a minute in a database that runs for longer than
// a benchmark: on the tables just created and filled, the first plans
// PostgreSQL makes for a take are several times slower (the first queue
// measured ran at a fifth of the rate of the next ones without it).
func (p *postgres) analyze(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, p.url)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(ctx) }()
	if _, err := conn.Exec(ctx, "ANALYZE work_items, work_item_history"); err != nil {
		return fmt.Errorf("analyze the work-item tables: %w", err)
	}
	return nil
}
