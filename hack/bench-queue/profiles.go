package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
)

// kubeAPIServerProfileSeconds is how long kube-apiserver is profiled from
// the window's start: it profiles for a length given up front, and the
// shortest window here (the aggregated path at 5,000 items) is longer.
const kubeAPIServerProfileSeconds = 10

// profiles are the CPU profiles of one measured window: this process's
// (rpa-server's API server and the robots' clients) until stop, and
// kube-apiserver's for its first seconds.
type profiles struct {
	self        *os.File
	kubeAPIDone sync.WaitGroup
}

// startProfiles starts both; a profile that cannot be taken is reported
// and skipped, not fatal.
func startProfiles(ctx context.Context, e *environment, dir, name string) *profiles {
	p := &profiles{}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(progress, "bench-queue: profiles:", err)
		return p
	}
	f, err := os.Create(filepath.Join(dir, "bench-queue-"+name+".pprof"))
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(progress, "bench-queue: profile this process:", err)
	} else {
		p.self = f
	}
	p.kubeAPIDone.Go(func() {
		if err := profileKubeAPIServer(ctx, e, filepath.Join(dir, "kube-apiserver-"+name+".pprof")); err != nil {
			fmt.Fprintln(progress, "bench-queue: profile kube-apiserver:", err)
		}
	})
	return p
}

// stop ends this process's profile and waits for kube-apiserver's. A nil
// profiles (none asked for) does nothing.
func (p *profiles) stop() {
	if p == nil {
		return
	}
	if p.self != nil {
		pprof.StopCPUProfile()
		_ = p.self.Close()
	}
	p.kubeAPIDone.Wait()
}

// profileKubeAPIServer writes kube-apiserver's CPU profile of the next
// seconds (its /debug/pprof, on by default) to path.
func profileKubeAPIServer(ctx context.Context, e *environment, path string) error {
	url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", strings.TrimSuffix(e.Admin.Host, "/"), kubeAPIServerProfileSeconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := e.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
