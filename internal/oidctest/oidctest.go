// Package oidctest runs a real OpenID provider in the test process, over
// TLS, for the console's sign-in tests: zitadel's certified op package
// with its reference in-memory storage, issuing RS256-signed ID tokens
// and refresh tokens, a login form for the people the test adds, and the
// kube-apiserver --authentication-config that makes envtest trust it.
// What is ours is only what the tests need to set: people with groups,
// the console's registrations and the ID token lifetime.
package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// UsernamePrefix and GroupsPrefix are what the authentication
// configuration puts before the provider's names, as a cluster does to
// keep them apart from its own.
const (
	UsernamePrefix = "oidc:"
	GroupsPrefix   = "oidc:"
)

// Person is someone who may sign in at the provider.
type Person struct {
	Username, Password string
	// Email is verified: kube-apiserver takes it as the user name.
	Email  string
	Groups []string
}

// Provider is a running OpenID provider.
type Provider struct {
	// Issuer is its URL, as ID tokens name it.
	Issuer string
	server *httptest.Server
	store  *store
}

// Start runs a provider on a loopback port.
func Start() (*Provider, error) {
	// zitadel logs through slog's default logger, at Info for every
	// request; the test process keeps only its warnings.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	srv := httptest.NewUnstartedServer(nil)
	issuer := "https://" + srv.Listener.Addr().String()
	people := &people{byName: map[string]*storage.User{}, groups: map[string][]string{}}
	st := &store{Storage: storage.NewStorageWithClients(people, map[string]*storage.Client{}), people: people,
		clients: map[string]*client{}, lifetime: time.Hour}
	var key [32]byte
	_, _ = rand.Read(key[:])
	provider, err := op.NewProvider(&op.Config{
		CryptoKey: key, CodeMethodS256: true, GrantTypeRefreshToken: true, AuthMethodPost: true,
		SupportedUILocales: []language.Tag{language.English},
	}, st, op.StaticIssuer(issuer))
	if err != nil {
		return nil, fmt.Errorf("the OpenID provider: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", showLogin)
	mux.HandleFunc("POST /login", checkLogin(st, provider))
	mux.Handle("/", provider)
	srv.Config.Handler = mux
	srv.StartTLS()
	return &Provider{Issuer: issuer, server: srv, store: st}, nil
}

// Close stops the provider.
func (p *Provider) Close() { p.server.Close() }

// CAPEM is the certificate the provider serves, to be trusted.
func (p *Provider) CAPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.server.Certificate().Raw})
}

// HTTPClient trusts the provider (and nothing else).
func (p *Provider) HTTPClient() *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(p.server.Certificate())
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

// AddPerson lets someone sign in.
func (p *Provider) AddPerson(person Person) { p.store.people.add(person) }

// AddClient registers an application (the console) by its ID and secret.
func (p *Provider) AddClient(id, secret string) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.clients[id] = &client{id: id, secret: secret, lifetime: p.store.idTokenLifetime}
}

// AllowRedirect lets client id send browsers back to redirect after a
// sign-in, and to postSignOut after signing out.
func (p *Provider) AllowRedirect(id, redirect, postSignOut string) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	c := p.store.clients[id]
	c.redirects = append(c.redirects, redirect)
	c.postSignOut = append(c.postSignOut, postSignOut)
}

// SetIDTokenLifetime changes how long the ID tokens issued from now on
// are valid.
func (p *Provider) SetIDTokenLifetime(d time.Duration) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.lifetime = d
}

// TrustIn makes envtest's kube-apiserver accept the provider's ID tokens
// for audience: a structured authentication configuration with one JWT
// authenticator, written to dir, that takes the verified email as the
// user name and the groups claim as groups, each with its prefix.
func (p *Provider) TrustIn(env *envtest.Environment, dir, audience string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	ca := strings.ReplaceAll(strings.TrimSpace(string(p.CAPEM())), "\n", "\n      ")
	config := fmt.Sprintf(`apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: %s
    audiences: [%q]
    certificateAuthority: |
      %s
  claimMappings:
    username:
      claim: email
      prefix: %q
    groups:
      claim: groups
      prefix: %q
`, p.Issuer, audience, ca, UsernamePrefix, GroupsPrefix)
	path := filepath.Join(dir, "authentication-config.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		return err
	}
	env.ControlPlane.GetAPIServer().Configure().Set("authentication-config", path)
	return nil
}

// store is zitadel's reference storage with our clients, people's groups
// in their ID tokens, and an ID token lifetime a test may shorten.
type store struct {
	*storage.Storage
	people *people

	mu       sync.Mutex
	clients  map[string]*client
	lifetime time.Duration
}

func (s *store) idTokenLifetime() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lifetime
}

// GetClientByClientID is op.Storage's, for our clients.
func (s *store) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return nil, fmt.Errorf("client %q not found", id)
	}
	copied := *c
	return &copied, nil
}

// AuthorizeClientIDSecret is op.Storage's, for our clients.
func (s *store) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[id]; !ok || c.secret != secret {
		return fmt.Errorf("client %q: wrong secret", id)
	}
	return nil
}

// SetUserinfoFromRequest adds the person's groups to their ID token, as
// Entra ID and Keycloak do when configured to.
func (s *store) SetUserinfoFromRequest(ctx context.Context, userinfo *oidc.UserInfo, token op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, userinfo, token, scopes); err != nil {
		return err
	}
	if groups := s.people.groupsOf(token.GetSubject()); len(groups) > 0 {
		userinfo.AppendClaims("groups", groups)
	}
	return nil
}

// client is the console's registration: a confidential web application
// with the code flow and refresh tokens.
type client struct {
	id, secret             string
	redirects, postSignOut []string
	lifetime               func() time.Duration
}

func (c *client) GetID() string                       { return c.id }
func (c *client) RedirectURIs() []string              { return slices.Clone(c.redirects) }
func (c *client) PostLogoutRedirectURIs() []string    { return slices.Clone(c.postSignOut) }
func (c *client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}
func (c *client) LoginURL(id string) string           { return "/login?authRequestID=" + url.QueryEscape(id) }
func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration      { return c.lifetime() }
func (c *client) DevMode() bool                       { return false }
func (c *client) IsScopeAllowed(string) bool          { return false }
func (c *client) ClockSkew() time.Duration            { return 0 }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

// IDTokenUserinfoClaimsAssertion puts email and profile in the ID token,
// as Entra ID, AD FS and Keycloak do: kube-apiserver reads only the token.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }

// people is the storage's user store, with groups.
type people struct {
	mu     sync.Mutex
	byName map[string]*storage.User
	groups map[string][]string
}

func (p *people) add(person Person) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.byName[person.Username] = &storage.User{
		ID: person.Username, Username: person.Username, Password: person.Password,
		Email: person.Email, EmailVerified: true, PreferredLanguage: language.Danish,
	}
	p.groups[person.Username] = slices.Clone(person.Groups)
}

func (p *people) GetUserByID(id string) *storage.User { return p.GetUserByUsername(id) }

func (p *people) GetUserByUsername(name string) *storage.User {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.byName[name]
}

func (p *people) ExampleClientID() string { return storage.ServiceUserID }

func (p *people) groupsOf(id string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.groups[id])
}

var loginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<title>Sign in</title>
<form method="post" action="/login">
<input type="hidden" name="id" value="{{.}}">
<label>Username <input name="username"></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Sign in</button>
</form>`))

// showLogin is the provider's login form for one authorization request.
func showLogin(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = loginPage.Execute(w, r.URL.Query().Get("authRequestID"))
}

// checkLogin signs the person in to the authorization request and sends
// the browser on to the provider's callback, which redirects it to the
// console with the code.
func checkLogin(st *store, provider *op.Provider) http.HandlerFunc {
	callback := op.AuthCallbackURL(provider)
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PostFormValue("id")
		if err := st.CheckUsernamePassword(r.PostFormValue("username"), r.PostFormValue("password"), id); err != nil {
			http.Error(w, "wrong username or password", http.StatusUnauthorized)
			return
		}
		ctx := op.ContextWithIssuer(r.Context(), provider.IssuerFromRequest(r))
		http.Redirect(w, r, callback(ctx, id), http.StatusFound)
	}
}
