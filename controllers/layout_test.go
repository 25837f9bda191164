package controllers

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/rpa-operator/rpa-operator/"

// reconcilers are the packages holding one controller each.
var reconcilers = []string{"controllers/robot", "controllers/robotrun", "controllers/targetsystem", "controllers/calendar", "controllers/queuetrigger", "controllers/queueaccess"}

// goList runs go list with a template over packages and returns its lines.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	return strings.Fields(string(out))
}

// TestNoReconcilerImportsAnother keeps each controller's package on its
// own: what two need lives in a shared package below them (docs/development.md).
func TestNoReconcilerImportsAnother(t *testing.T) {
	for _, pkg := range reconcilers {
		for _, dep := range goList(t, "-deps", "./"+strings.TrimPrefix(pkg, "controllers/")) {
			other, ok := strings.CutPrefix(dep, module)
			if ok && other != pkg && slices.Contains(reconcilers, other) {
				t.Errorf("%s depends on %s", pkg, other)
			}
		}
	}
}

// TestKubectlPluginLinksNoReconciler keeps the plugin small and free of the
// controllers' metrics and watches.
func TestKubectlPluginLinksNoReconciler(t *testing.T) {
	for _, dep := range goList(t, "-deps", "../cmd/kubectl-robot") {
		if pkg, ok := strings.CutPrefix(dep, module); ok && (slices.Contains(reconcilers, pkg) || pkg == "controllers") {
			t.Errorf("the kubectl plugin links %s", pkg)
		}
	}
}
