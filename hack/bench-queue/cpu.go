package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is the unit of /proc's CPU times (USER_HZ), 100 on every
// Linux the project runs on.
const clockTicks = 100

// cpuSample is the CPU seconds each part had used at one moment; the
// difference of two says where a measured window's time went.
type cpuSample struct {
	// self is this process: rpa-server's API server and the robots' SDK
	// clients, or the floor's takers.
	self, kubeAPIServer, etcd, postgres float64
	// busy is the machine's, all processes (the local cluster too).
	busy float64
}

func (s cpuSample) minus(o cpuSample) cpuSample {
	return cpuSample{
		self: s.self - o.self, kubeAPIServer: s.kubeAPIServer - o.kubeAPIServer, etcd: s.etcd - o.etcd,
		postgres: s.postgres - o.postgres, busy: s.busy - o.busy,
	}
}

// sampleCPU reads every part's CPU time. A part that cannot be read counts
// zero, and says so once on standard error: the figures are then partial,
// not wrong.
func (e *environment) sampleCPU(ctx context.Context) cpuSample {
	var s cpuSample
	var err error
	s.self = selfCPU()
	if s.kubeAPIServer, err = processCPUMetric(ctx, e.apiserverHTTP, strings.TrimSuffix(e.admin.Host, "/")+"/metrics"); err != nil {
		warnOnce("kube-apiserver's CPU", err)
	}
	if s.etcd, err = processCPUMetric(ctx, http.DefaultClient, e.control.ControlPlane.Etcd.URL.String()+"/metrics"); err != nil {
		warnOnce("etcd's CPU", err)
	}
	if s.postgres, err = e.postgres.cpu(); err != nil {
		warnOnce("PostgreSQL's CPU", err)
	}
	if s.busy, err = machineBusy(); err != nil {
		warnOnce("the machine's CPU", err)
	}
	return s
}

var warned = map[string]bool{}

// warnOnce is called from one goroutine at a time (the measurement's
// start and end).
func warnOnce(what string, err error) {
	if !warned[what] {
		warned[what] = true
		fmt.Fprintf(progress, "bench-queue: cannot read %s: %v\n", what, err)
	}
}

func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// processCPUMetric reads process_cpu_seconds_total from a Prometheus
// endpoint (kube-apiserver's and etcd's /metrics).
func processCPUMetric(ctx context.Context, c *http.Client, url string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return metricValue(resp.Body, "process_cpu_seconds_total")
}

func metricValue(r io.Reader, name string) (float64, error) {
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for scanner.Scan() {
		if value, ok := strings.CutPrefix(scanner.Text(), name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(value), 64)
		}
	}
	if err := scanner.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s", name)
}

// cpu is the server's CPU seconds: the postmaster's own, its ended
// backends' (reaped, so counted in its children's times) and its running
// backends', found by their parent pid.
func (p *postgres) cpu() (float64, error) {
	postmaster, err := p.postmasterPID()
	if err != nil {
		return 0, err
	}
	stat, err := readStat(postmaster)
	if err != nil {
		return 0, err
	}
	ticks := stat.utime + stat.stime + stat.cutime + stat.cstime
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return 0, err
	}
	for _, dir := range dirs {
		pid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil {
			continue
		}
		if child, err := readStat(pid); err == nil && child.ppid == postmaster {
			ticks += child.utime + child.stime
		}
	}
	return float64(ticks) / clockTicks, nil
}

// procStat is what cpu reads of /proc/<pid>/stat.
type procStat struct {
	ppid                         int
	utime, stime, cutime, cstime int64
}

func readStat(pid int) (procStat, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	// The command name, in parentheses, may hold spaces: fields are
	// counted after its closing parenthesis (the state is field 3).
	end := strings.LastIndexByte(string(data), ')')
	if end < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(data[end+1:]))
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	num := func(i int) int64 { n, _ := strconv.ParseInt(f[i], 10, 64); return n }
	// f[0] is field 3; ppid is field 4, utime..cstime fields 14 to 17.
	return procStat{ppid: int(num(1)), utime: num(11), stime: num(12), cutime: num(13), cstime: num(14)}, nil
}

// machineBusy is the CPU seconds all CPUs spent on anything but idling and
// waiting for I/O, from /proc/stat.
func machineBusy() (float64, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var busy int64
	for i, v := range f[1:] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, err
		}
		// user nice system idle iowait irq softirq steal (guest time is in
		// user already).
		if i != 3 && i != 4 && i < 8 {
			busy += n
		}
	}
	return float64(busy) / clockTicks, nil
}
