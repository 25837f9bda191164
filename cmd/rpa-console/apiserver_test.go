package main

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// TestApiserverConfigCarriesNoCredential: in a pod without a
// ServiceAccount token the console reaches kube-apiserver at the
// kubernetes Service with the cluster's CA, and nothing else.
func TestApiserverConfigCarriesNoCredential(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	ca := writeCA(t, srv)
	notPEM := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(host, port string) func(string) string {
		return func(name string) string {
			return map[string]string{"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}[name]
		}
	}
	for _, tt := range []struct {
		name     string
		caFile   string
		getenv   func(string) string
		wantHost string
		wantErr  string
	}{
		{name: "the kubernetes Service", caFile: ca, getenv: env("10.96.0.1", "443"), wantHost: "https://10.96.0.1:443"},
		{name: "an IPv6 Service address", caFile: ca, getenv: env("fd00::1", "443"), wantHost: "https://[fd00::1]:443"},
		{name: "not in a pod", caFile: ca, getenv: env("", ""), wantErr: "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set"},
		{name: "no port", caFile: ca, getenv: env("10.96.0.1", ""), wantErr: "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set"},
		{name: "no CA file", caFile: filepath.Join(t.TempDir(), "missing"), getenv: env("10.96.0.1", "443"), wantErr: "--apiserver-ca-file"},
		{name: "a CA file without a certificate", caFile: notPEM, getenv: env("10.96.0.1", "443"), wantErr: "--apiserver-ca-file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := apiserverConfig(tt.caFile, tt.getenv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// The address and the CA, and nothing else: no token, no
			// client certificate, no exec or auth provider.
			want := &rest.Config{Host: tt.wantHost, TLSClientConfig: rest.TLSClientConfig{CAFile: tt.caFile}}
			if !reflect.DeepEqual(cfg, want) {
				t.Errorf("config %+v, want %+v", cfg, want)
			}
		})
	}
}

// TestUsersRequestsCarryOnlyTheirToken: every request the console makes
// for a user carries that user's token, and none is made for discovery
// (an anonymous request may not read it).
func TestUsersRequestsCarryOnlyTheirToken(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	apiserver := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/apis/authentication.k8s.io/v1/selfsubjectreviews":
			_ = json.NewEncoder(w).Encode(map[string]any{"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview",
				"status": map[string]any{"userInfo": map[string]any{"username": "anna"}}})
		case "/apis/rpa.dev/v1alpha1/namespaces/hr/robots":
			_ = json.NewEncoder(w).Encode(map[string]any{"apiVersion": "rpa.dev/v1alpha1", "kind": "RobotList",
				"items": []any{map[string]any{"metadata": map[string]any{"name": "welcome-letters", "namespace": "hr"}}}})
		case "/apis/rpa.dev/v1alpha1/targetsystems/esdh":
			_ = json.NewEncoder(w).Encode(map[string]any{"apiVersion": "rpa.dev/v1alpha1", "kind": "TargetSystem",
				"metadata": map[string]any{"name": "esdh"}})
		default:
			http.NotFound(w, r)
		}
	}))
	defer apiserver.Close()
	u, err := url.Parse(apiserver.URL)
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(u.Host)
	cfg, err := apiserverConfig(writeCA(t, apiserver), func(name string) string {
		return map[string]string{"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}[name]
	})
	if err != nil {
		t.Fatal(err)
	}
	users, err := userFactory(cfg).For("annas-token")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if who, err := users.WhoAmI(ctx); err != nil || who.Username != "anna" {
		t.Fatalf("who am I: %+v, %v", who, err)
	}
	var robots rpav1alpha1.RobotList
	if err := users.Kube.List(ctx, &robots, client.InNamespace("hr")); err != nil || len(robots.Items) != 1 {
		t.Fatalf("robots: %+v, %v", robots.Items, err)
	}
	if err := users.Kube.Get(ctx, client.ObjectKey{Name: "esdh"}, &rpav1alpha1.TargetSystem{}); err != nil {
		t.Fatalf("a cluster-scoped kind: %v", err)
	}
	want := []string{
		"POST /apis/authentication.k8s.io/v1/selfsubjectreviews Bearer annas-token",
		"GET /apis/rpa.dev/v1alpha1/namespaces/hr/robots Bearer annas-token",
		"GET /apis/rpa.dev/v1alpha1/targetsystems/esdh Bearer annas-token",
	}
	if !slices.Equal(seen, want) {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}

// TestRESTMapperAgreesWithTheCRDs: the mapper that stands in for
// discovery names every kind's resource and scope as its CRD does, and
// knows no kind without one.
func TestRESTMapperAgreesWithTheCRDs(t *testing.T) {
	files, err := filepath.Glob("../../config/crd/bases/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("the CRDs: %v, %v", files, err)
	}
	mapper := restMapper(consoleScheme())
	kinds := make([]string, 0, len(files))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var crd struct {
			Spec struct {
				Group string `json:"group"`
				Names struct {
					Kind   string `json:"kind"`
					Plural string `json:"plural"`
				} `json:"names"`
				Scope    string `json:"scope"`
				Versions []struct {
					Name string `json:"name"`
				} `json:"versions"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(data, &crd); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		kinds = append(kinds, crd.Spec.Names.Kind)
		for _, v := range crd.Spec.Versions {
			if v.Name != rpav1alpha1.GroupVersion.Version {
				continue
			}
			m, err := mapper.RESTMapping(schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}, v.Name)
			if err != nil {
				t.Errorf("%s: %v", crd.Spec.Names.Kind, err)
				continue
			}
			wantScope := meta.RESTScopeNameNamespace
			if crd.Spec.Scope == "Cluster" {
				wantScope = meta.RESTScopeNameRoot
			}
			if m.Resource.Resource != crd.Spec.Names.Plural || m.Scope.Name() != wantScope {
				t.Errorf("%s: resource %q scope %q, want %q %q", crd.Spec.Names.Kind, m.Resource.Resource, m.Scope.Name(), crd.Spec.Names.Plural, wantScope)
			}
		}
	}
	for kind := range consoleScheme().KnownTypes(rpav1alpha1.GroupVersion) {
		if _, err := mapper.RESTMapping(schema.GroupKind{Group: rpav1alpha1.GroupVersion.Group, Kind: kind}); err == nil && !slices.Contains(kinds, kind) {
			t.Errorf("the mapper knows %s, which has no CRD", kind)
		}
	}
}

// TestHealthzIsServedBesideThePages: the probes' path answers, every
// other path is the console's.
func TestHealthzIsServedBesideThePages(t *testing.T) {
	h := withHealthz(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "console: "+r.URL.Path, http.StatusTeapot)
	}))
	for _, tt := range []struct {
		method, path string
		status       int
		body         string
	}{
		{http.MethodGet, "/healthz", http.StatusOK, "ok\n"},
		{http.MethodGet, "/sign-in", http.StatusTeapot, "console: /sign-in\n"},
		{http.MethodGet, "/", http.StatusTeapot, "console: /\n"},
		{http.MethodPost, "/healthz", http.StatusTeapot, "console: /healthz\n"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.status || rec.Body.String() != tt.body {
			t.Errorf("%s %s: %d %q, want %d %q", tt.method, tt.path, rec.Code, rec.Body.String(), tt.status, tt.body)
		}
	}
}

// writeCA writes the certificate srv serves to a file, as the
// kube-root-ca.crt ConfigMap is projected into the pod.
func writeCA(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "ca.crt")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}
