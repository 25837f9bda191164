// Package kube makes the console's clients for one user: every request
// carries that user's bearer token and nothing of the console's own, so
// kube-apiserver authenticates and authorizes the user, and its audit log
// names them (docs/design/console.md).
package kube

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// Factory makes users' clients against one kube-apiserver.
type Factory struct {
	// base is where and how to reach kube-apiserver (host, CA), without
	// any credential.
	base   *rest.Config
	scheme *runtime.Scheme
	mapper meta.RESTMapper

	// connections is the TLS transport every user's requests go through:
	// made from base, so it holds no credential (each user's client adds
	// its own bearer token to each request, and kube-apiserver
	// authenticates every request on its own). Kept for the factory's
	// life so that a page reuses the open HTTP/2 connection: client-go's
	// transport cache holds transports only while a client refers to one,
	// and a user's clients live for one request, so without this a page
	// after a garbage collection dialled and handshook anew and left the
	// old connection idle (docs/benchmarks.md, "Console overview").
	connectionsOnce sync.Once
	connections     http.RoundTripper
	connectionsErr  error
}

// NewFactory keeps cfg's address and CA and drops its credentials. The
// mapper is shared by every user's clients: rpa-console's maps the kinds
// it is built with, as the console makes no request of its own (not even
// discovery); the tests pass a discovery mapper.
func NewFactory(cfg *rest.Config, scheme *runtime.Scheme, mapper meta.RESTMapper) *Factory {
	return &Factory{base: rest.AnonymousClientConfig(cfg), scheme: scheme, mapper: mapper}
}

// Clients are one user's.
type Clients struct {
	// Kube reads and writes rpa.dev objects (no cache: a cache would be
	// read with one identity and shown to another).
	Kube client.Client
	// Clientset asks who the user is and what they may do.
	Clientset kubernetes.Interface
	// Queue is rpa-server's work-item API (queue.rpa.dev) through
	// kube-apiserver.
	Queue rest.Interface
	// Records is rpa-server's run records (records.rpa.dev).
	Records rest.Interface
	// RPA reads rpa.dev lists raw, for pages that decode only the fields
	// they show (the overview: a list of 1,000 Robots is 4 MiB of JSON).
	RPA rest.Interface
}

// queueScheme knows the work-item API's kinds and its Status answers.
var queueScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(queuev1alpha1.AddToScheme(s))
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	return s
}()

// statusScheme knows only the apiserver's Status answers: the RPA client
// decodes nothing else.
var statusScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	return s
}()

// recordsScheme knows the run records' kinds.
var recordsScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(recordsv1alpha1.AddToScheme(s))
	metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
	return s
}()

// apiClient is a REST client for one of rpa-server's groups, sharing the
// user's HTTP client.
func apiClient(cfg *rest.Config, gv schema.GroupVersion, scheme *runtime.Scheme, httpClient *http.Client) (rest.Interface, error) {
	c := rest.CopyConfig(cfg)
	c.APIPath, c.GroupVersion = "/apis", &gv
	c.NegotiatedSerializer = serializer.NewCodecFactory(scheme).WithoutConversion()
	return rest.RESTClientForConfigAndClient(c, httpClient)
}

// sharedConnections is the factory's credential-free TLS transport, made
// on first use.
func (f *Factory) sharedConnections() (http.RoundTripper, error) {
	f.connectionsOnce.Do(func() {
		f.connections, f.connectionsErr = rest.TransportFor(f.base)
	})
	return f.connections, f.connectionsErr
}

// httpClientFor is the user's HTTP client: the shared connections, with
// the user's token (and user agent) added to each request.
func (f *Factory) httpClientFor(cfg *rest.Config) (*http.Client, error) {
	connections, err := f.sharedConnections()
	if err != nil {
		return nil, err
	}
	rt, err := rest.HTTPWrappersForConfig(cfg, connections)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: rt, Timeout: cfg.Timeout}, nil
}

// For makes the clients of the user whose bearer token is token.
func (f *Factory) For(token string) (*Clients, error) {
	cfg := rest.CopyConfig(f.base)
	cfg.BearerToken = token
	cfg.UserAgent = "rpa-console"
	httpClient, err := f.httpClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("an HTTP client for the user: %w", err)
	}
	c, err := client.New(cfg, client.Options{Scheme: f.scheme, Mapper: f.mapper, HTTPClient: httpClient})
	if err != nil {
		return nil, fmt.Errorf("a client for the user: %w", err)
	}
	cs, err := kubernetes.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, fmt.Errorf("a clientset for the user: %w", err)
	}
	queue, err := apiClient(cfg, queuev1alpha1.SchemeGroupVersion, queueScheme, httpClient)
	if err != nil {
		return nil, fmt.Errorf("a work-item client for the user: %w", err)
	}
	records, err := apiClient(cfg, recordsv1alpha1.SchemeGroupVersion, recordsScheme, httpClient)
	if err != nil {
		return nil, fmt.Errorf("a run-record client for the user: %w", err)
	}
	rpa, err := apiClient(cfg, rpav1alpha1.GroupVersion, statusScheme, httpClient)
	if err != nil {
		return nil, fmt.Errorf("an rpa.dev client for the user: %w", err)
	}
	return &Clients{Kube: c, Clientset: cs, Queue: queue, Records: records, RPA: rpa}, nil
}

// WhoAmI is who kube-apiserver says the token is (SelfSubjectReview).
func (c *Clients) WhoAmI(ctx context.Context) (authenticationv1.UserInfo, error) {
	review, err := c.Clientset.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return authenticationv1.UserInfo{}, err
	}
	return review.Status.UserInfo, nil
}

// Can reports whether the user may do verb on the resource (and
// subresource, if any) in the namespace, as kube-apiserver would decide:
// for which controls to show; the request itself is authorized again
// when made.
func (c *Clients) Can(ctx context.Context, namespace, verb, group, resource, subresource string) (bool, error) {
	review, err := c.Clientset.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: namespace, Verb: verb, Group: group, Resource: resource, Subresource: subresource,
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		return false, err
	}
	return review.Status.Allowed, nil
}
