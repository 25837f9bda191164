package kube

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	certutil "k8s.io/client-go/util/cert"
)

// fakeAPIServer answers SelfSubjectReviews over HTTPS with the user whose
// token the request carries, and records what each request and
// connection brought.
type fakeAPIServer struct {
	*httptest.Server
	mu sync.Mutex
	// connections counts the TCP connections clients opened.
	connections int
	// tokens are the bearer tokens of the requests, in order;
	// clientCertificates counts requests made over a connection that
	// presented one.
	tokens             []string
	clientCertificates int
}

func startFakeAPIServer(t *testing.T) *fakeAPIServer {
	t.Helper()
	s := &fakeAPIServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		s.tokens = append(s.tokens, token)
		if len(r.TLS.PeerCertificates) > 0 {
			s.clientCertificates++
		}
		s.mu.Unlock()
		review := authenticationv1.SelfSubjectReview{Status: authenticationv1.SelfSubjectReviewStatus{
			UserInfo: authenticationv1.UserInfo{Username: "user-of-" + token},
		}}
		review.APIVersion, review.Kind = "authentication.k8s.io/v1", "SelfSubjectReview"
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(review)
	}))
	s.EnableHTTP2 = true
	// Ask for a client certificate, to see whether one is sent.
	s.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	s.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.mu.Lock()
			s.connections++
			s.mu.Unlock()
		}
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// consoleFactory is a Factory for the fake apiserver, made from a config
// that carries the console's own credentials (a token and a client
// certificate), as a kubeconfig may.
func consoleFactory(t *testing.T, s *fakeAPIServer) *Factory {
	t.Helper()
	certPEM, keyPEM, err := certutil.GenerateSelfSignedCertKey("rpa-console", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &rest.Config{
		Host:        s.URL,
		BearerToken: "the-consoles-own-token",
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}),
			CertData: certPEM, KeyData: keyPEM,
		},
	}
	return NewFactory(cfg, kruntime.NewScheme(), meta.NewDefaultRESTMapper(nil))
}

// whoAmI makes the user's clients, as each console request does, and
// asks who they are.
func whoAmI(t *testing.T, f *Factory, token string) string {
	t.Helper()
	users, err := f.For(token)
	if err != nil {
		t.Fatal(err)
	}
	who, err := users.WhoAmI(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return who.Username
}

func TestUsersRequestsReuseOneConnectionAcrossGarbageCollections(t *testing.T) {
	s := startFakeAPIServer(t)
	f := consoleFactory(t, s)
	for range 5 {
		for _, token := range []string{"alice", "bob"} {
			whoAmI(t, f, token)
		}
		// Each request's clients are garbage now, as after a page.
		runtime.GC()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.connections != 1 {
		t.Errorf("10 requests of two users opened %d connections, want 1", s.connections)
	}
}

func TestEachUsersRequestsCarryOnlyTheirOwnToken(t *testing.T) {
	s := startFakeAPIServer(t)
	f := consoleFactory(t, s)
	want := make([]string, 0, 6)
	for i := range 6 {
		token := []string{"alice", "bob", "carol"}[i%3]
		if got := whoAmI(t, f, token); got != "user-of-"+token {
			t.Errorf("%s's clients are %q", token, got)
		}
		want = append(want, token)
		runtime.GC()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.Join(s.tokens, ",") != strings.Join(want, ",") {
		t.Errorf("the requests carried tokens %q, want %q", s.tokens, want)
	}
	if s.clientCertificates != 0 {
		t.Errorf("%d requests presented the console's client certificate, want none", s.clientCertificates)
	}
}
