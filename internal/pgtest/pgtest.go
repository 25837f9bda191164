// Package pgtest gives tests a real PostgreSQL: the server hack/postgres.sh
// starts from Debian's packages in a temporary directory, stopped by the pid
// it recorded, as envtest does for kube-apiserver. RPA_TEST_DATABASE_URL
// points the tests at a server of one's own instead.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable that, when set, is used instead of starting a
// server.
const EnvURL = "RPA_TEST_DATABASE_URL"

// Start returns the URL of a PostgreSQL server for the tests, and a
// function that stops it (a no-op for a server given by EnvURL).
func Start() (serverURL string, stop func(), err error) {
	if u := os.Getenv(EnvURL); u != "" {
		return u, func() {}, nil
	}
	script, err := hackScript()
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "rpa-pgtest-")
	if err != nil {
		return "", nil, err
	}
	out, err := exec.Command(script, "start", dir).Output()
	if err != nil {
		return "", nil, fmt.Errorf("start PostgreSQL with %s: %w%s", script, err, stderrOf(err))
	}
	stop = func() {
		if out, err := exec.Command(script, "stop", dir).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stop PostgreSQL: %v: %s\n", err, out)
		}
		_ = os.RemoveAll(dir)
	}
	return strings.TrimSpace(string(out)), stop, nil
}

// NewDatabase creates an empty database on the server and returns its
// URL: for a test that needs a schema of its own (migrations).
func NewDatabase(ctx context.Context, serverURL string) (string, error) {
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return "", err
	}
	defer func() { _ = conn.Close(ctx) }()
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "test_" + hex.EncodeToString(suffix)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// hackScript finds hack/postgres.sh above the test's directory.
func hackScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		candidate := filepath.Join(dir, "hack", "postgres.sh")
		if _, err := os.Stat(candidate); err == nil {
			return candidate, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("hack/postgres.sh not found above the test's directory; set " + EnvURL)
		}
		dir = parent
	}
}

func stderrOf(err error) string {
	var exit *exec.ExitError
	if errors.As(err, &exit) && len(exit.Stderr) > 0 {
		return ": " + strings.TrimSpace(string(exit.Stderr))
	}
	return ""
}

// Main runs a package's tests (from its TestMain) against the server Start
// gives, with its URL in *url, and stops it after; the exit code is the
// tests'.
func Main(m *testing.M, url *string) int {
	u, stop, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "these tests need PostgreSQL:", err)
		return 1
	}
	*url = u
	defer stop()
	return m.Run()
}
