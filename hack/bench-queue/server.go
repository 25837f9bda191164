package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/hack/internal/benchenv"
	"github.com/rpa-operator/rpa-operator/internal/server/apiserver"
	"github.com/rpa-operator/rpa-operator/internal/server/holds"
)

// apiServer is rpa-server's API server running in this process.
type apiServer struct {
	// address is its base URL; port its port; ca trusts its self-signed
	// serving certificate.
	address string
	port    int
	ca      *x509.CertPool
	// cache is what it reads WorkQueues and robot pods from, as
	// cmd/rpa-server's manager cache (holds.CacheOptions).
	cache  cache.Cache
	cancel context.CancelFunc
	done   chan error
}

// startAPIServer runs the API server as cmd/rpa-server does, on the store
// and a cache of the cluster, with authentication and authorization
// delegated to kube-apiserver; it returns once the server answers.
func startAPIServer(ctx context.Context, e *environment, robotsNotReviewed bool) (*apiServer, error) {
	s := &apiServer{done: make(chan error, 1)}
	ctx, s.cancel = context.WithCancel(ctx)
	var err error
	if s.cache, err = startCache(ctx, e.Admin); err != nil {
		s.cancel()
		return nil, err
	}
	kubeconfig := filepath.Join(e.dir, "kubeconfig")
	if err := writeKubeconfig(kubeconfig, e.Admin); err != nil {
		s.cancel()
		return nil, err
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.cancel()
		return nil, err
	}
	s.port = listener.Addr().(*net.TCPAddr).Port
	s.address = fmt.Sprintf("https://127.0.0.1:%d", s.port)
	opts := apiserver.NewOptions()
	opts.SecureServing.Listener = listener
	opts.SecureServing.BindPort = s.port
	opts.SecureServing.ServerCert.CertDirectory = filepath.Join(e.dir, "rpa-server")
	opts.Authentication.RemoteKubeConfigFile = kubeconfig
	opts.Authorization.RemoteKubeConfigFile = kubeconfig
	opts.Audit.LogOptions.Path = ""
	if robotsNotReviewed {
		opts.Authorization.WithAlwaysAllowGroups(serviceaccount.AllServiceAccountsGroup)
	}
	server, err := apiserver.New(opts, e.items, e.records, s.cache)
	if err != nil {
		s.cancel()
		_ = listener.Close()
		return nil, err
	}
	go func() { s.done <- server.PrepareRun().RunWithContext(ctx) }()
	if s.ca, err = certPoolOf(opts.SecureServing.ServerCert.CertKey.CertFile); err != nil {
		s.stop()
		return nil, err
	}
	if err := s.waitReady(ctx, e); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// startCache starts the cache rpa-server's API reads through: pods
// labelled as the operator's, trimmed, and WorkQueues; both informers are
// started and synced before the first request, as a running rpa-server's
// are.
func startCache(ctx context.Context, cfg *rest.Config) (cache.Cache, error) {
	opts := holds.CacheOptions()
	opts.Scheme = benchenv.Scheme()
	c, err := cache.New(cfg, opts)
	if err != nil {
		return nil, fmt.Errorf("rpa-server's cache: %w", err)
	}
	for _, obj := range []client.Object{&corev1.Pod{}, &rpav1alpha1.WorkQueue{}} {
		if _, err := c.GetInformer(ctx, obj); err != nil {
			return nil, fmt.Errorf("rpa-server's cache: %w", err)
		}
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return nil, errors.New("rpa-server's cache did not sync")
	}
	return c, nil
}

// waitReady waits until the server says it is ready, asked as the admin.
func (s *apiServer) waitReady(ctx context.Context, e *environment) error {
	cert, err := e.AdminTLS()
	if err != nil {
		return err
	}
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: s.ca, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
	}}}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.address+"/readyz", nil)
		if err != nil {
			return false, err
		}
		resp, err := c.Do(req)
		if err != nil {
			return false, nil
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		return fmt.Errorf("rpa-server's API server did not become ready: %w", err)
	}
	return nil
}

// stop stops the server and its cache, waiting for the server to end.
func (s *apiServer) stop() {
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			fmt.Fprintln(progress, "bench-queue: rpa-server's API server:", err)
		}
	case <-time.After(30 * time.Second):
		fmt.Fprintln(progress, "bench-queue: rpa-server's API server did not stop in 30 s")
	}
}

// certPoolOf trusts the certificates in a PEM file: the self-signed
// serving certificate and the CA k8s.io/apiserver wrote for it.
func certPoolOf(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("rpa-server's serving certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("no certificate in %s", path)
	}
	return pool, nil
}

// writeKubeconfig writes the admin's credentials for the API server's
// delegated authentication and authorization (TokenReview,
// SubjectAccessReview).
func writeKubeconfig(path string, cfg *rest.Config) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
	kc.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "admin"}
	kc.CurrentContext = "envtest"
	return clientcmd.WriteToFile(*kc, path)
}

// bench namespace holds the Service the APIService points at.
const benchNamespace = "rpa-bench"

// registerAPIService puts the API server behind kube-apiserver's
// aggregation layer as test/integration's registerAPIService does: an
// APIService for queue.rpa.dev/v1alpha1 backed by an ExternalName Service
// for localhost (Endpoints may not point at loopback addresses). It
// returns once the APIService is Available.
func registerAPIService(ctx context.Context, kube client.Client, port int) error {
	if err := kube.Create(ctx, &corev1.Namespace{ObjectMeta: objectMeta("", benchNamespace)}); err != nil {
		return err
	}
	svc := &corev1.Service{
		ObjectMeta: objectMeta(benchNamespace, "rpa-server"),
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "localhost"},
	}
	if err := kube.Create(ctx, svc); err != nil {
		return err
	}
	apiService := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
		"metadata": map[string]any{"name": "v1alpha1." + queuev1alpha1.GroupName},
		"spec": map[string]any{
			"group": queuev1alpha1.GroupName, "version": "v1alpha1",
			"service":               map[string]any{"namespace": benchNamespace, "name": svc.Name, "port": int64(port)},
			"insecureSkipTLSVerify": true, "groupPriorityMinimum": int64(1000), "versionPriority": int64(15),
		},
	}}
	if err := kube.Create(ctx, apiService); err != nil {
		return fmt.Errorf("create the APIService: %w", err)
	}
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		got := &unstructured.Unstructured{}
		got.SetAPIVersion("apiregistration.k8s.io/v1")
		got.SetKind("APIService")
		if err := kube.Get(ctx, client.ObjectKey{Name: apiService.GetName()}, got); err != nil {
			return false, err
		}
		conditions, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
		for _, c := range conditions {
			if m, ok := c.(map[string]any); ok && m["type"] == "Available" && m["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("the APIService did not become Available: %w", err)
	}
	return nil
}
