package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
)

// The images that are not robots.
const (
	manager = "manager"
	server  = "rpa-server"
	pause   = "pause"
)

type options struct {
	out, tag, pauseImage, containerd string
	importImages                     bool
}

// image is one image to build: its Go main packages and the name it gets.
type image struct {
	// short names the tarball; ref is the image reference.
	short, ref string
	// programs are the binaries in the image; the first is its entrypoint.
	programs []program
}

// program is a Go main package and its path in the image.
type program struct {
	pkg, binary string
}

// images resolves NAMEs (or "all") into the images to build.
func images(opts options, names []string) ([]image, error) {
	robots, err := robotDirs()
	if err != nil {
		return nil, err
	}
	known := map[string]image{
		manager: {short: manager, ref: "rpa-operator:" + opts.tag, programs: []program{{"./cmd/manager", manager}}},
		// The console runs from rpa-server's image (config/console), as
		// its own Deployment with command /rpa-console.
		server: {short: server, ref: "rpa-server:" + opts.tag, programs: []program{
			{"./cmd/rpa-server", server}, {"./cmd/rpa-console", "rpa-console"},
		}},
		pause: {short: pause, ref: opts.pauseImage, programs: []program{{"./hack/build-images/pause", pause}}},
	}
	for _, r := range robots {
		known[r] = image{short: r, ref: fmt.Sprintf("localhost/rpa-robots/%s:%s", r, opts.tag), programs: []program{{"./robots/" + r, "robot"}}}
	}
	if len(names) == 1 && names[0] == "all" {
		names = append([]string{manager, server, pause}, robots...)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("name the images to build: manager, rpa-server, pause, a robot (%v) or all", robots)
	}
	var out []image
	for _, n := range names {
		img, ok := known[n]
		if !ok {
			return nil, fmt.Errorf("unknown image %q: want manager, rpa-server, pause, a robot (%v) or all", n, robots)
		}
		out = append(out, img)
	}
	return out, nil
}

// robotDirs lists the directories under robots/ that hold a main package.
func robotDirs() ([]string, error) {
	mains, err := filepath.Glob("robots/*/main.go")
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, m := range mains {
		dirs = append(dirs, filepath.Base(filepath.Dir(m)))
	}
	slices.Sort(dirs)
	return dirs, nil
}

// buildAll builds, writes and optionally imports each named image.
func buildAll(opts options, names []string) error {
	list, err := images(opts, names)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(opts.out, 0o755); err != nil {
		return err
	}
	for _, img := range list {
		binaries := make([]string, 0, len(img.programs))
		for i, p := range img.programs {
			out := img.short + ".bin"
			if i > 0 {
				out = img.short + "-" + filepath.Base(p.binary) + ".bin"
			}
			binary, err := compile(p.pkg, filepath.Join(opts.out, out), opts.tag)
			if err != nil {
				return err
			}
			binaries = append(binaries, binary)
		}
		file := filepath.Join(opts.out, img.short+".tar")
		digest, err := writeImage(binaries, img, file)
		if err != nil {
			return fmt.Errorf("image %s: %w", img.ref, err)
		}
		fmt.Printf("%-50s %s %s\n", img.ref, digest, file)
		if opts.importImages {
			if err := importImage(opts.containerd, file); err != nil {
				return err
			}
		}
	}
	return nil
}

// versionVar is the variable the build's version is linked into.
const versionVar = "github.com/rpa-operator/rpa-operator/internal/buildinfo.Version"

// compile builds a static binary of pkg, its version linked in.
func compile(pkg, out, version string) (string, error) {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -X "+versionVar+"="+version, "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	return out, nil
}

// importImage loads a tarball into containerd's k8s.io namespace, where the
// kubelet finds images.
func importImage(address, file string) error {
	cmd := exec.Command("ctr", "--address", address, "-n", "k8s.io", "images", "import", file)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("import %s: %w", file, err)
	}
	return nil
}
