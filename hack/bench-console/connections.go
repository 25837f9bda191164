package main

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// connectionsTo counts this process's established TCP connections to the
// port of host (kube-apiserver's), from /proc: the sockets of
// /proc/net/tcp and tcp6 whose remote end is that port, among this
// process's open files. It shows connections that are opened and left
// idle, which a page's own count of new ones does not.
func connectionsTo(host string) (int, error) {
	u, err := url.Parse(host)
	if err != nil {
		return 0, err
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		return 0, fmt.Errorf("kube-apiserver's port in %q: %w", host, err)
	}
	inodes := map[string]bool{}
	for _, table := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		if err := establishedTo(table, port, inodes); err != nil {
			return 0, err
		}
	}
	fds, err := filepath.Glob("/proc/self/fd/*")
	if err != nil {
		return 0, err
	}
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink(fd)
		if err != nil {
			continue
		}
		if inode, ok := strings.CutPrefix(target, "socket:["); ok && inodes[strings.TrimSuffix(inode, "]")] {
			n++
		}
	}
	return n, nil
}

// establishedTo adds to inodes the sockets of a /proc/net/tcp table in
// state ESTABLISHED (01) whose remote address has the port.
func establishedTo(table string, port int, inodes map[string]bool) error {
	f, err := os.Open(table)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	scanner := bufio.NewScanner(f)
	scanner.Scan() // the header
	want := fmt.Sprintf(":%04X", port)
	for scanner.Scan() {
		// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
		fields := strings.Fields(scanner.Text())
		if len(fields) >= 10 && strings.HasSuffix(fields[2], want) && fields[3] == "01" {
			inodes[fields[9]] = true
		}
	}
	return scanner.Err()
}
