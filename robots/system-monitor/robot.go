package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// robot is the system-monitor robot.
type robot struct {
	// now is the clock response times are measured with; nil is time.Now.
	now func() time.Time
}

// work checks every configured system once. Each system is an item: one
// that is down is a failed item, so the run ends with exit code 1 and the
// operator's alerts on failed runs fire.
func (r robot) work(ctx context.Context, run *sdk.Run, log *slog.Logger) (sdk.Result, error) {
	cfg, err := readConfig(run)
	if err != nil {
		return sdk.Result{}, err
	}
	p := prober{client: &http.Client{}, account: cfg.account, timeout: cfg.timeout, slowAfter: cfg.slowAfter, now: r.now}
	if p.now == nil {
		p.now = time.Now
	}
	var measured []measurement
	loop := sdk.Loop[target]{
		Log: log,
		Ref: target.ref,
		// Every system is checked, however many are down: the result
		// must show them all.
		MaxConsecutiveFailures: -1,
		Handle: func(ctx context.Context, log *slog.Logger, t target) error {
			m := p.check(ctx, t)
			measured = append(measured, m)
			logMeasurement(log, m)
			if m.status == statusDown {
				return fmt.Errorf("%s is down: %s", m.system, m.problem)
			}
			return nil
		},
	}
	items, err := loop.Process(ctx, cfg.targets)
	return items.Result(summary(items, measured)), err
}

// logMeasurement writes the line a log-based dashboard reads: the system,
// its status and its response time in milliseconds.
func logMeasurement(log *slog.Logger, m measurement) {
	level := slog.LevelInfo
	if m.status != statusUp {
		level = slog.LevelWarn
	}
	attrs := []any{"system", m.system, "status", m.status, "responseTimeMs", m.elapsed.Milliseconds()}
	if m.problem != "" {
		attrs = append(attrs, "problem", m.problem)
	}
	log.Log(context.Background(), level, "system checked", attrs...)
}

// summary is the run's result line: how many systems are up, then each
// system's measurement.
func summary(items sdk.Tally, measured []measurement) string {
	parts := make([]string, len(measured))
	for i, m := range measured {
		parts[i] = m.String()
	}
	return fmt.Sprintf("%d of %d systems up: %s", items.Succeeded, items.Processed, strings.Join(parts, "; "))
}
