package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// Log fields used in several places.
const (
	keyError = "error"
	keyPath  = "path"
)

// Exit codes besides success and the business exception code.
const (
	exitSystemException = 1
	exitUsage           = 64
	// exitStopped is what a process stopped by SIGTERM reports (128+15).
	exitStopped = 143
)

// run does the robot's work and returns its exit code.
func run(ctx context.Context, c config, out io.Writer) int {
	log := logger{out: out, run: c.runName}
	log.event("started", map[string]any{"robot": c.robot, "trigger": c.trigger, "mode": c.mode, "arguments": arguments(c.env)})
	if len(c.problems) > 0 {
		log.event("invalid arguments", map[string]any{"problems": c.problems})
		return exitUsage
	}
	reportRunFile(log, c.runFile)
	reportCredentials(log, c.credentialsDir)

	result := sdk.Result{}
	stopped := processItems(ctx, c, log, &result)
	switch {
	case stopped:
		result.Summary = fmt.Sprintf("stopped by SIGTERM after %d items", result.ItemsProcessed)
		writeResult(log, c, result)
		return exitStopped
	case c.mode == "crash-without-result":
		log.event("ERROR: lost the connection to the case system", nil)
		return exitSystemException
	case c.mode == "leak-credentials":
		// A careless robot, for the tests of what the platform does with
		// robot-written text: it logs its passwords, then crashes.
		leakCredentials(out, c.credentialsDir)
		return exitSystemException
	case c.mode == "system-exception":
		result.Summary = "the case system did not answer"
		writeResult(log, c, result)
		return exitSystemException
	case c.mode == "business-exception":
		result.BusinessExceptions = 1
		result.ItemsSucceeded--
		result.Summary = "an item needs a caseworker"
		writeResult(log, c, result)
		return c.businessExit
	}
	result.Summary = fmt.Sprintf("%d items processed", result.ItemsProcessed)
	writeResult(log, c, result)
	return 0
}

// processItems handles the work items, sleeping first when asked; it
// reports whether SIGTERM stopped it.
func processItems(ctx context.Context, c config, log logger, result *sdk.Result) bool {
	if c.mode == "sleep" {
		select {
		case <-ctx.Done():
			return true
		case <-time.After(c.sleep):
		}
	}
	for i := 1; i <= c.items; i++ {
		if ctx.Err() != nil {
			return true
		}
		log.event("item done", map[string]any{"item": fmt.Sprintf("item-%d", i)})
		result.ItemsProcessed++
		result.ItemsSucceeded++
	}
	return false
}

// arguments returns the RPA_ARG_* variables of env (NAME=value).
func arguments(env []string) map[string]string {
	args := map[string]string{}
	for _, kv := range env {
		if name, value, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(name, "RPA_ARG_") {
			args[name] = value
		}
	}
	return args
}

// reportRunFile logs the run file's content.
func reportRunFile(log logger, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		log.event("no run file", map[string]any{keyPath: path, keyError: err.Error()})
		return
	}
	var runFile map[string]any
	if err := json.Unmarshal(data, &runFile); err != nil {
		log.event("run file is not JSON", map[string]any{keyPath: path, keyError: err.Error()})
		return
	}
	log.event("run file", map[string]any{keyPath: path, "content": runFile})
}

// reportCredentials logs each credential's key files by name and size. The
// content is a secret: it is never read into the log.
func reportCredentials(log logger, dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		log.event("no credentials", map[string]any{"dir": dir})
		return
	}
	for _, cred := range entries {
		keys := map[string]int64{}
		files, _ := os.ReadDir(filepath.Join(dir, cred.Name()))
		for _, f := range files {
			if strings.HasPrefix(f.Name(), "..") {
				continue // the kubelet's atomic-writer bookkeeping
			}
			if info, err := os.Stat(filepath.Join(dir, cred.Name(), f.Name())); err == nil && !info.IsDir() {
				keys[f.Name()] = info.Size()
			}
		}
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		log.event("credential", map[string]any{"name": cred.Name(), "keys": names, "bytes": keys})
	}
}

// leakCredentials prints every credential file's content as a plain log
// line: what a robot must never do (mode leak-credentials only).
func leakCredentials(out io.Writer, dir string) {
	creds, _ := os.ReadDir(dir)
	for _, cred := range creds {
		files, _ := os.ReadDir(filepath.Join(dir, cred.Name()))
		for _, f := range files {
			if data, err := os.ReadFile(filepath.Join(dir, cred.Name(), f.Name())); err == nil && !strings.HasPrefix(f.Name(), "..") {
				_, _ = fmt.Fprintf(out, "ERROR: login failed for %s/%s=%s\n", cred.Name(), f.Name(), data)
			}
		}
	}
}

func writeResult(log logger, c config, result sdk.Result) {
	if err := sdk.WriteResult(c.terminationPath, result); err != nil {
		log.event("could not write the result", map[string]any{keyError: err.Error()})
	}
}

// logger writes the contract's JSON log lines.
type logger struct {
	out io.Writer
	run string
}

func (l logger) event(msg string, fields map[string]any) {
	line := map[string]any{"time": time.Now().UTC().Format(time.RFC3339Nano), "msg": msg, "run": l.run}
	for k, v := range fields {
		line[k] = v
	}
	data, _ := json.Marshal(line)
	_, _ = fmt.Fprintln(l.out, string(data))
}
