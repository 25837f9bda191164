// Command krew-manifest writes the krew manifest of a release: the
// repository's plugins/krew/robot.yaml with each platform's sha256 taken
// from the archive its uri names, as `make plugin-archives` built it. The
// repository's manifest keeps its sha256 fields empty, since its archives
// do not exist until a release builds them.
//
// Usage: go run ./hack/krew-manifest --manifest plugins/krew/robot.yaml --archives bin/dist > bin/dist/robot.yaml
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

func main() {
	manifest := flag.String("manifest", "plugins/krew/robot.yaml", "the repository's krew manifest")
	archives := flag.String("archives", "bin/dist", "directory of the release archives")
	flag.Parse()
	in, err := os.ReadFile(*manifest)
	if err == nil {
		err = fill(bytes.NewReader(in), os.Stdout, *archives)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "krew-manifest:", err)
		os.Exit(1)
	}
}

// releaseHeader opens the release manifest in place of the repository
// manifest's opening comment.
const releaseHeader = `# krew manifest of this release, written by hack/krew-manifest from
# plugins/krew/robot.yaml with the digests of the release's archives.
`

// fill copies the manifest from in to out and sets every `sha256:` line to
// the digest of the archive named by the `uri:` line before it. Apart from
// the opening comment, comments and layout stay as they are, so the
// release manifest reads like the repository's.
func fill(in io.Reader, out io.Writer, archives string) error {
	scanner := bufio.NewScanner(in)
	var archive string
	filled := 0
	header := true
	if _, err := fmt.Fprint(out, releaseHeader); err != nil {
		return err
	}
	for scanner.Scan() {
		line := scanner.Text()
		// The repository manifest's opening comment explains its empty
		// digests; the release manifest has its own.
		if header && strings.HasPrefix(line, "#") {
			continue
		}
		header = false
		key, value, _ := strings.Cut(strings.TrimSpace(line), ":")
		switch key {
		case "uri":
			archive = path.Base(strings.TrimSpace(value))
		case "sha256":
			if archive == "" {
				return errors.New("a sha256 field comes before any uri")
			}
			sum, err := fileSHA256(filepath.Join(archives, archive))
			if err != nil {
				return err
			}
			indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
			line = indent + "sha256: " + sum
			archive = ""
			filled++
		}
		if _, err := fmt.Fprintln(out, line); err != nil {
			return err
		}
	}
	if err := scanner.Err(); err != nil {
		return err
	}
	if filled == 0 {
		return errors.New("the manifest has no sha256 field to fill")
	}
	return nil
}

func fileSHA256(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", fmt.Errorf("archive for the manifest: %w (run make plugin-archives)", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
