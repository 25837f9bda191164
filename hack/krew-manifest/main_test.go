package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func writeArchive(t *testing.T, dir, name, content string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(content))
	return hex.EncodeToString(sum[:])
}

func TestFillSetsEachPlatformsDigestFromItsArchive(t *testing.T) {
	repoManifest, err := os.ReadFile(filepath.Join("..", "..", "plugins", "krew", "robot.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	want := map[string]string{}
	for _, p := range []string{"linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64"} {
		name := "kubectl-robot_" + p + ".tar.gz"
		want[name] = writeArchive(t, dir, name, "archive for "+p)
	}
	var out bytes.Buffer
	if err := fill(bytes.NewReader(repoManifest), &out, dir); err != nil {
		t.Fatal(err)
	}
	var m struct {
		Spec struct {
			Platforms []struct {
				URI    string `json:"uri"`
				SHA256 string `json:"sha256"`
			} `json:"platforms"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("filled manifest is not YAML: %v\n%s", err, out.String())
	}
	if len(m.Spec.Platforms) != len(want) {
		t.Fatalf("%d platforms, want %d", len(m.Spec.Platforms), len(want))
	}
	for _, p := range m.Spec.Platforms {
		name := filepath.Base(p.URI)
		if p.SHA256 != want[name] {
			t.Errorf("%s: sha256 %q, want %q", name, p.SHA256, want[name])
		}
	}
	if body := func(s string) string { return s[strings.Index(s, "apiVersion:"):] }; strings.Count(body(out.String()), "\n") != strings.Count(body(string(repoManifest)), "\n") {
		t.Error("filling changed the manifest's layout")
	}
	if strings.Contains(out.String(), "empty on purpose") {
		t.Error("the release manifest still says its digests are empty")
	}
}

func TestFillFailsWithoutTheArchive(t *testing.T) {
	manifest := "uri: https://example.dk/v1/kubectl-robot_linux_amd64.tar.gz\nsha256: \"\"\n"
	err := fill(strings.NewReader(manifest), &bytes.Buffer{}, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "make plugin-archives") {
		t.Fatalf("error %v, want one pointing at make plugin-archives", err)
	}
}
