package benchenv

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
	"sync"
	"syscall"
	"time"
)

// clockTicks is the unit of /proc's CPU times (USER_HZ), 100 on every
// Linux the project runs on.
const clockTicks = 100

// CPU is the CPU seconds each part had used at one moment; the difference
// of two says where a measured window's time went.
type CPU struct {
	// Self is the benchmark's process, with whatever server it runs in it.
	Self, KubeAPIServer, Etcd float64
	// Busy is the machine's, all processes (the local cluster too).
	Busy float64
}

// Minus is what was used between o and c.
func (c CPU) Minus(o CPU) CPU {
	return CPU{Self: c.Self - o.Self, KubeAPIServer: c.KubeAPIServer - o.KubeAPIServer, Etcd: c.Etcd - o.Etcd, Busy: c.Busy - o.Busy}
}

// SampleCPU reads every part's CPU time. A part that cannot be read
// counts zero, and says so once: the figures are then partial, not wrong.
func (c *ControlPlane) SampleCPU(ctx context.Context) CPU {
	var s CPU
	var err error
	s.Self = selfCPU()
	if s.KubeAPIServer, err = processCPUMetric(ctx, c.HTTP, strings.TrimSuffix(c.Admin.Host, "/")+"/metrics"); err != nil {
		WarnOnce("kube-apiserver's CPU", err)
	}
	if s.Etcd, err = processCPUMetric(ctx, http.DefaultClient, c.Env.ControlPlane.Etcd.URL.String()+"/metrics"); err != nil {
		WarnOnce("etcd's CPU", err)
	}
	if s.Busy, err = machineBusy(); err != nil {
		WarnOnce("the machine's CPU", err)
	}
	return s
}

var warned sync.Map

// WarnOnce says, the first time only, that what could not be read.
func WarnOnce(what string, err error) {
	if _, done := warned.LoadOrStore(what, true); !done {
		Say("cannot read %s: %v", what, err)
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

// ProcessTreeCPU is a process's CPU seconds with its children's: its own,
// its ended children's (reaped, so counted in its children's times) and
// its running children's, found by their parent pid. For a server that
// forks a process per connection, as PostgreSQL does.
func ProcessTreeCPU(pid int) (float64, error) {
	stat, err := readStat(pid)
	if err != nil {
		return 0, err
	}
	ticks := stat.utime + stat.stime + stat.cutime + stat.cstime
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return 0, err
	}
	for _, dir := range dirs {
		child, err := strconv.Atoi(filepath.Base(dir))
		if err != nil {
			continue
		}
		if s, err := readStat(child); err == nil && s.ppid == pid {
			ticks += s.utime + s.stime
		}
	}
	return float64(ticks) / clockTicks, nil
}

// procStat is what ProcessTreeCPU reads of /proc/<pid>/stat.
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
