// Command build-images builds the operator's, the robots' and the pause
// container images without Docker, with go-containerregistry, and writes
// each as a tarball that `ctr images import` loads (docs/local-cluster.md).
//
// Usage: go run ./hack/build-images [--out DIR] [--tag TAG] [--import] NAME...
// NAME is manager, rpa-server (which also holds rpa-console), pause, a
// directory under robots/ with a main.go, or all.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	opts := options{}
	flag.StringVar(&opts.out, "out", "bin/images", "directory for the image tarballs")
	flag.StringVar(&opts.tag, "tag", "dev", "tag of the operator and robot images")
	flag.StringVar(&opts.pauseImage, "pause-image", "registry.k8s.io/pause:3.10", "name of the pause image (containerd's sandbox_image)")
	flag.BoolVar(&opts.importImages, "import", false, "import the images into containerd with ctr")
	flag.StringVar(&opts.containerd, "containerd-address", "/run/containerd/containerd.sock", "containerd socket for --import")
	flag.Parse()
	if err := buildAll(opts, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "build-images:", err)
		os.Exit(1)
	}
}
