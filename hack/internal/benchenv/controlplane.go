package benchenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/aggregationtest"
)

// Progress is the real standard error, for a benchmark's own lines: a
// benchmark may point os.Stderr elsewhere to quiet what a server in its
// process logs.
var Progress io.Writer = os.Stderr

// ControlPlane is etcd and kube-apiserver (envtest) with the operator's
// CRDs, and clients of it as the cluster admin.
type ControlPlane struct {
	Env *envtest.Environment
	// Admin is kube-apiserver's cluster admin, not rate limited (setting
	// up is not what a benchmark measures); Kube and Clientset are clients
	// as that admin.
	Admin     *rest.Config
	Kube      client.Client
	Clientset kubernetes.Interface
	// HTTP calls kube-apiserver as the admin, for its metrics and profiles.
	HTTP *http.Client
}

// Scheme knows the built-in kinds and the operator's rpa.dev kinds.
func Scheme() *runtime.Scheme {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(rpav1alpha1.AddToScheme(scheme))
	return scheme
}

// StartControlPlane starts etcd and kube-apiserver as the integration
// suite does: envtest, from KUBEBUILDER_ASSETS or the binaries
// hack/k8s-binaries.sh builds, and the CRDs from config/crd/bases. When
// aggregationDir is not empty, the aggregation layer is turned on with
// its front-proxy certificates written there. On error the ControlPlane
// holds what was started, for Stop.
func StartControlPlane(root, aggregationDir string) (*ControlPlane, error) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		var err error
		if assets, err = Output(root, "hack/k8s-binaries.sh", "etcd", "kube-apiserver"); err != nil {
			return nil, err
		}
	}
	c := &ControlPlane{Env: &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}}
	if aggregationDir != "" {
		if err := aggregationtest.Enable(c.Env, aggregationDir); err != nil {
			return c, fmt.Errorf("front-proxy certificates: %w", err)
		}
	}
	admin, err := c.Env.Start()
	if err != nil {
		return c, fmt.Errorf("start etcd and kube-apiserver: %w", err)
	}
	c.Admin = rest.CopyConfig(admin)
	c.Admin.QPS, c.Admin.Burst = -1, 0
	if c.Kube, err = client.New(c.Admin, client.Options{Scheme: Scheme()}); err != nil {
		return c, err
	}
	if c.Clientset, err = kubernetes.NewForConfig(c.Admin); err != nil {
		return c, err
	}
	c.HTTP, err = rest.HTTPClientFor(c.Admin)
	return c, err
}

// Stop stops kube-apiserver and etcd by the processes envtest started. A
// nil ControlPlane, or one that never started, does nothing.
func (c *ControlPlane) Stop() {
	if c == nil || c.Env == nil {
		return
	}
	if err := c.Env.Stop(); err != nil {
		Say("stop etcd and kube-apiserver: %v", err)
	}
}

// CA trusts kube-apiserver's serving certificate.
func (c *ControlPlane) CA() (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(c.Admin.CAData) {
		return nil, errors.New("kube-apiserver's CA holds no certificate")
	}
	return pool, nil
}

// AdminTLS is the admin's client certificate, for calling a server that
// trusts kube-apiserver's client CA as the admin.
func (c *ControlPlane) AdminTLS() (tls.Certificate, error) {
	return tls.X509KeyPair(c.Admin.CertData, c.Admin.KeyData)
}

// Output runs a script of the repository and returns its trimmed stdout;
// its stderr goes to Progress.
func Output(root, script string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, script), args...)
	cmd.Stderr = Progress
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s: %w", script, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Say writes a line of progress, after the benchmark's name.
func Say(format string, args ...any) {
	fmt.Fprintf(Progress, "%s: %s\n", filepath.Base(os.Args[0]), fmt.Sprintf(format, args...))
}
