package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// Availability of a system as a check found it.
const (
	statusUp   = "up"
	statusSlow = "slow"
	statusDown = "down"
)

// measurement is one system's check.
type measurement struct {
	system string
	status string
	// elapsed is the response time, or how long the robot waited for none.
	elapsed time.Duration
	// problem says why a system is down.
	problem string
}

// prober checks systems once each. It does not retry: a retry would hide
// the very slowness and failures it is there to see.
type prober struct {
	client             *http.Client
	account            sdk.Account
	timeout, slowAfter time.Duration
	// now reads the clock the response time is measured with.
	now func() time.Time
}

// check logs in to the system's health endpoint and times the answer.
func (p prober) check(ctx context.Context, t target) measurement {
	m := measurement{system: t.name}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url.String(), nil)
	if err != nil {
		return down(m, fmt.Sprintf("build request: %v", err))
	}
	req.SetBasicAuth(p.account.Username, p.account.Password.Reveal())
	start := p.now()
	resp, err := p.client.Do(req)
	if err == nil {
		// The answer counts as arrived when its body has.
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
	}
	m.elapsed = p.now().Sub(start)
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return down(m, fmt.Sprintf("no answer within %s", p.timeout))
	case err != nil:
		return down(m, err.Error())
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return down(m, fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode)))
	case m.elapsed > p.slowAfter:
		m.status = statusSlow
	default:
		m.status = statusUp
	}
	return m
}

func down(m measurement, problem string) measurement {
	m.status, m.problem = statusDown, problem
	return m
}

// String is how a measurement reads in the summary: "sbsys up 41ms".
func (m measurement) String() string {
	ms := m.elapsed.Round(time.Millisecond)
	switch m.status {
	case statusDown:
		return fmt.Sprintf("%s DOWN (%s, %s)", m.system, m.problem, ms)
	case statusSlow:
		return fmt.Sprintf("%s SLOW %s", m.system, ms)
	default:
		return fmt.Sprintf("%s up %s", m.system, ms)
	}
}
