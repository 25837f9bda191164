package plugin

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/yaml"
)

// krewManifest is the part of krew's Plugin (v1alpha2) this test checks.
type krewManifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version   string `json:"version"`
		Platforms []struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			URI string `json:"uri"`
			Bin string `json:"bin"`
		} `json:"platforms"`
	} `json:"spec"`
}

func TestKrewManifestHasAnArchivePerPlatform(t *testing.T) {
	g := NewWithT(t)
	data, err := os.ReadFile(filepath.Join("..", "..", "plugins", "krew", "robot.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	var m krewManifest
	g.Expect(yaml.Unmarshal(data, &m)).To(Succeed())
	g.Expect(m.APIVersion).To(Equal("krew.googlecontainertools.github.com/v1alpha2"))
	g.Expect(m.Kind).To(Equal("Plugin"))
	g.Expect(m.Metadata.Name).To(Equal("robot"))
	want := map[string]bool{"linux/amd64": true, "linux/arm64": true, "darwin/amd64": true, "darwin/arm64": true}
	for _, p := range m.Spec.Platforms {
		osArch := p.Selector.MatchLabels["os"] + "/" + p.Selector.MatchLabels["arch"]
		g.Expect(want).To(HaveKey(osArch))
		delete(want, osArch)
		g.Expect(p.URI).To(Equal("https://github.com/rpa-operator/rpa-operator/releases/download/" + m.Spec.Version +
			"/kubectl-robot_" + p.Selector.MatchLabels["os"] + "_" + p.Selector.MatchLabels["arch"] + ".tar.gz"))
		g.Expect(p.Bin).To(Equal("kubectl-robot"))
	}
	g.Expect(want).To(BeEmpty(), "platforms missing from the manifest")
}
