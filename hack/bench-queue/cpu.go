package main

import (
	"context"

	"github.com/rpa-operator/rpa-operator/hack/internal/benchenv"
)

// cpuSample is the CPU seconds each part had used at one moment; the
// difference of two says where a measured window's time went. Its Self is
// rpa-server's API server and the robots' SDK clients, or the floor's
// takers.
type cpuSample struct {
	benchenv.CPU
	postgres float64
}

func (s cpuSample) minus(o cpuSample) cpuSample {
	return cpuSample{CPU: s.Minus(o.CPU), postgres: s.postgres - o.postgres}
}

// sampleCPU reads every part's CPU time. A part that cannot be read counts
// zero, and says so once on standard error: the figures are then partial,
// not wrong.
func (e *environment) sampleCPU(ctx context.Context) cpuSample {
	s := cpuSample{CPU: e.SampleCPU(ctx)}
	var err error
	if s.postgres, err = e.postgres.cpu(); err != nil {
		benchenv.WarnOnce("PostgreSQL's CPU", err)
	}
	return s
}

// cpu is the server's CPU seconds: the postmaster's, with the backends it
// forks per connection, ended and running.
func (p *postgres) cpu() (float64, error) {
	postmaster, err := p.postmasterPID()
	if err != nil {
		return 0, err
	}
	return benchenv.ProcessTreeCPU(postmaster)
}
