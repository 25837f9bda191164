package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestReadSecretFileDropsTheTrailingNewlineAndRefusesEmpty(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	got, err := readSecretFile(write("url", "postgres://rpa:s3cret@db:5432/rpa\n"), "the database URL")
	if err != nil || string(got) != "postgres://rpa:s3cret@db:5432/rpa" {
		t.Errorf("read %q, %v", got, err)
	}
	if _, err := readSecretFile(write("empty", "\n"), "the reference key"); err == nil || !strings.Contains(err.Error(), "the reference key in") {
		t.Errorf("an empty file: %v, want an error naming what is empty", err)
	}
	_, err = readSecretFile(filepath.Join(dir, "missing"), "the database URL")
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "missing")) {
		t.Errorf("a missing file: %v, want an error naming the path", err)
	}
}

func TestFlagsNameFilesNotSecrets(t *testing.T) {
	cfg := parseFlags(pflag.NewFlagSet("rpa-server", pflag.ContinueOnError), []string{"--count-interval=2s", "--secure-port=9443"})
	if cfg.countInterval != 2*time.Second || !strings.HasPrefix(cfg.databaseURLFile, "/etc/rpa-server/") ||
		!strings.HasPrefix(cfg.referenceKeyFile, "/etc/rpa-server/") || !cfg.leaderElect || cfg.api.SecureServing.BindPort != 9443 {
		t.Errorf("config %+v", cfg)
	}
}
