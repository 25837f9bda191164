package main

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestImageRunsTheBinaryAsNonRootAndIsReproducible(t *testing.T) {
	dir := t.TempDir()
	binary := filepath.Join(dir, "robot.bin")
	if err := os.WriteFile(binary, []byte("#!not really an ELF, but bytes to carry"), 0o755); err != nil {
		t.Fatal(err)
	}
	img := image{short: "x", ref: "localhost/rpa-robots/x:dev", programs: []program{{"./robots/x", "robot"}}}
	first, err := writeImage([]string{binary}, img, filepath.Join(dir, "a.tar"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := writeImage([]string{binary}, img, filepath.Join(dir, "b.tar"))
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Errorf("two builds of the same binary differ: %s, %s", first, second)
	}

	read, err := tarball.ImageFromPath(filepath.Join(dir, "a.tar"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := read.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "65532:65532" || len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != "/robot" {
		t.Errorf("user %q entrypoint %v", cf.Config.User, cf.Config.Entrypoint)
	}
	if cf.OS != "linux" || cf.Architecture == "" {
		t.Errorf("platform %s/%s: ctr filters out images without one", cf.OS, cf.Architecture)
	}
	files := layerFiles(t, read)
	if files["robot"].Mode != 0o755 {
		t.Errorf("binary mode %o", files["robot"].Mode)
	}
	if !strings.Contains(files["etc/passwd"].body, "nonroot:x:65532:65532") {
		t.Errorf("passwd %q", files["etc/passwd"].body)
	}
	if files["tmp/"].Mode != 0o1777 {
		t.Errorf("/tmp mode %o", files["tmp/"].Mode)
	}
}

// TestServerImageCarriesTheConsole: config/console runs /rpa-console from
// rpa-server's image, whose entrypoint stays /rpa-server.
func TestServerImageCarriesTheConsole(t *testing.T) {
	list, err := images(options{tag: "dev"}, []string{server})
	if err != nil || len(list) != 1 {
		t.Fatalf("images: %v, %v", list, err)
	}
	img := list[0]
	want := []program{{"./cmd/rpa-server", "rpa-server"}, {"./cmd/rpa-console", "rpa-console"}}
	if img.ref != "rpa-server:dev" || !slices.Equal(img.programs, want) {
		t.Fatalf("image %s with %v, want rpa-server:dev with %v", img.ref, img.programs, want)
	}
	dir := t.TempDir()
	binaries := make([]string, 0, len(img.programs))
	for _, p := range img.programs {
		binary := filepath.Join(dir, p.binary+".bin")
		if err := os.WriteFile(binary, []byte("bytes of "+p.binary), 0o755); err != nil {
			t.Fatal(err)
		}
		binaries = append(binaries, binary)
	}
	if _, err := writeImage(binaries, img, filepath.Join(dir, "server.tar")); err != nil {
		t.Fatal(err)
	}
	read, err := tarball.ImageFromPath(filepath.Join(dir, "server.tar"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := read.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cf.Config.Entrypoint, []string{"/rpa-server"}) {
		t.Errorf("entrypoint %v, want /rpa-server", cf.Config.Entrypoint)
	}
	files := layerFiles(t, read)
	for _, p := range img.programs {
		if f := files[p.binary]; f.Mode != 0o755 || f.body != "bytes of "+p.binary {
			t.Errorf("/%s: mode %o, %q", p.binary, f.Mode, f.body)
		}
	}
}

func TestUnknownImageNamesTheKnownOnes(t *testing.T) {
	_, err := images(options{tag: "dev"}, []string{"no-such-robot"})
	if err == nil || !strings.Contains(err.Error(), "manager, rpa-server, pause") {
		t.Errorf("err = %v", err)
	}
}

type file struct {
	Mode int64
	body string
}

// layerFiles reads every file of the image's layers.
func layerFiles(t *testing.T, img v1.Image) map[string]file {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]file{}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(tr)
			files[hdr.Name] = file{Mode: hdr.Mode, body: string(body)}
		}
		_ = rc.Close()
	}
	return files
}
