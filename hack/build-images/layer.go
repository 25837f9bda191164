package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The non-root user every image runs as (distroless' "nonroot").
const (
	uid      = 65532
	caBundle = "/etc/ssl/certs/ca-certificates.crt"
)

// epoch is every file's and the image's time, so that the same binary
// always gives the same digest.
var epoch = time.Unix(0, 0).UTC()

// writeImage writes an image holding binaries (the compiled img.programs,
// in order) to file, in the `docker save` format: `ctr images import` reads
// it and takes the name from its manifest, and it needs no registry. It
// returns the image's digest.
func writeImage(binaries []string, img image, file string) (string, error) {
	if len(binaries) == 0 || len(binaries) != len(img.programs) {
		return "", fmt.Errorf("%d binaries for %d programs", len(binaries), len(img.programs))
	}
	layerData, err := rootFS(binaries, img.programs)
	if err != nil {
		return "", err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerData)), nil
	})
	if err != nil {
		return "", fmt.Errorf("layer: %w", err)
	}
	built, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return "", err
	}
	base, err := built.ConfigFile()
	if err != nil {
		return "", err
	}
	built, err = mutate.ConfigFile(built, configFile(base, img.programs[0].binary))
	if err != nil {
		return "", err
	}
	built = mutate.MediaType(built, "application/vnd.docker.distribution.manifest.v2+json")
	ref, err := name.NewTag(img.ref)
	if err != nil {
		return "", fmt.Errorf("image name %q: %w", img.ref, err)
	}
	if err := tarball.WriteToFile(file, ref, built); err != nil {
		return "", fmt.Errorf("write %s: %w", file, err)
	}
	digest, err := built.Digest()
	return digest.String(), err
}

// configFile completes base (which lists the layers) with the platform (ctr
// filters out images without one), the non-root user and the entrypoint.
func configFile(base *v1.ConfigFile, binary string) *v1.ConfigFile {
	cf := base.DeepCopy()
	cf.Created = v1.Time{Time: epoch}
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.History = nil
	cf.Config = v1.Config{
		Entrypoint: []string{"/" + binary},
		User:       fmt.Sprintf("%d:%d", uid, uid),
		WorkingDir: "/",
		Env:        []string{"PATH=/", "SSL_CERT_FILE=" + caBundle},
	}
	return cf
}

// rootFS is the image's single layer: the binaries, a passwd and group
// file naming the non-root user, the host's CA bundle and a world-writable
// /tmp.
func rootFS(binaries []string, programs []program) ([]byte, error) {
	type layerFile struct {
		name string
		mode int64
		data []byte
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	files := []layerFile{
		{"etc/passwd", 0o644, fmt.Appendf(nil, "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", uid, uid)},
		{"etc/group", 0o644, fmt.Appendf(nil, "root:x:0:\nnonroot:x:%d:\n", uid)},
	}
	for i, binary := range binaries {
		bin, err := os.ReadFile(binary)
		if err != nil {
			return nil, err
		}
		files = append(files, layerFile{programs[i].binary, 0o755, bin})
	}
	if ca, err := os.ReadFile(caBundle); err == nil {
		files = append(files, layerFile{caBundle[1:], 0o644, ca})
	}
	for _, dir := range []struct {
		name string
		mode int64
	}{{"etc/", 0o755}, {"etc/ssl/", 0o755}, {"etc/ssl/certs/", 0o755}, {"tmp/", 0o1777}, {"home/nonroot/", 0o755}} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir.name, Mode: dir.mode, ModTime: epoch}); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: epoch}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), tw.Close()
}
