// Package signin signs people in to the console with OpenID Connect: the
// authorization code flow with PKCE and a nonce (github.com/coreos/go-oidc,
// golang.org/x/oauth2), and the renewal of the ID token with the refresh
// token. The ID token is what the console sends to kube-apiserver as the
// user's bearer token; who it names is for kube-apiserver to say, by its
// own --authentication-config, never for this package (docs/console-oidc.md,
// docs/design/console.md).
package signin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"k8s.io/utils/clock"
)

// CallbackPath is where the provider sends the browser back to; the
// redirect URL registered with the provider must end in it.
const CallbackPath = "/sign-in/oidc/callback"

// renewBefore is how long before the ID token expires it is renewed, so
// that a request in flight does not reach kube-apiserver with a token that
// expired on the way.
const renewBefore = time.Minute

// Errors a callback is refused with; the console shows each in words.
var (
	// ErrNoFlow: the callback came without the browser's sign-in cookie,
	// or after it expired: not started here, or started too long ago.
	ErrNoFlow = errors.New("no sign-in was started in this browser, or it took too long")
	// ErrStateMismatch: the callback's state is not the one this browser
	// was sent with, as when someone tries to sign the browser in to a
	// session of theirs (login CSRF).
	ErrStateMismatch = errors.New("the sign-in's state does not match the one this browser started")
	// ErrProviderRefused: the provider answered with an error (the person
	// cancelled, or may not use the console).
	ErrProviderRefused = errors.New("the OpenID provider refused the sign-in")
	// ErrBadIDToken: the provider's answer carried no valid ID token for
	// this console and this sign-in (signature, issuer, audience, expiry
	// or nonce).
	ErrBadIDToken = errors.New("the OpenID provider's ID token is not valid for this sign-in")
)

// Config is how the console reaches its OpenID provider.
type Config struct {
	// IssuerURL is the provider's issuer, as kube-apiserver trusts it.
	IssuerURL string
	// ClientID is the console's at the provider, and the audience
	// kube-apiserver expects in the ID token.
	ClientID     string
	ClientSecret string
	// RedirectURL is the console's CallbackPath as the browser reaches it.
	RedirectURL string
	Scopes      []string
	// HTTPClient reaches the provider (its CA); http.DefaultClient if nil.
	HTTPClient *http.Client
	// FlowKey signs and encrypts the short-lived cookie that carries a
	// sign-in's state, nonce and PKCE verifier (at least 32 random bytes).
	FlowKey []byte
	Clock   clock.PassiveClock
}

// OIDC is a discovered provider and the console's registration with it.
type OIDC struct {
	oauth      oauth2.Config
	verifier   *oidc.IDTokenVerifier
	httpClient *http.Client
	flows      *flowCookies
	// endSession is the provider's end_session_endpoint, if it offers one.
	endSession string
	clientID   string
}

// Tokens are what a sign-in or a renewal gives the session.
type Tokens struct {
	// IDToken is the bearer token for kube-apiserver.
	IDToken string
	// Expiry is the ID token's own (not the access token's).
	Expiry time.Time
	// Refresh renews the ID token; empty when the provider gave none.
	Refresh string
}

// New discovers the provider (its endpoints and signing keys' location)
// at cfg.IssuerURL.
func New(ctx context.Context, cfg Config) (*OIDC, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	flows, err := newFlowCookies(cfg.FlowKey)
	if err != nil {
		return nil, err
	}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, cfg.HTTPClient), cfg.IssuerURL)
	if err != nil {
		return nil, fmt.Errorf("discover the OpenID provider %s: %w", cfg.IssuerURL, err)
	}
	var discovered struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := provider.Claims(&discovered); err != nil {
		return nil, fmt.Errorf("read the OpenID provider's discovery document: %w", err)
	}
	return &OIDC{
		oauth: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: provider.Endpoint(), Scopes: cfg.Scopes,
		},
		verifier:   provider.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: cfg.Clock.Now}),
		httpClient: cfg.HTTPClient,
		flows:      flows,
		endSession: discovered.EndSession,
		clientID:   cfg.ClientID,
	}, nil
}

// Start begins a sign-in: a fresh state, nonce and PKCE verifier go into
// the browser's flow cookie, and the returned URL sends the browser to
// the provider with the state, the nonce and the verifier's challenge.
func (o *OIDC) Start(w http.ResponseWriter) (string, error) {
	f := newFlow()
	if err := o.flows.save(w, f); err != nil {
		return "", err
	}
	return o.oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), nil
}

// Finish completes the sign-in the provider sent the browser back from:
// the flow cookie is used up whatever happens; the state must be the
// cookie's; the code is exchanged with the PKCE verifier; the ID token
// must be valid for this console and carry the cookie's nonce. Whether
// kube-apiserver accepts the token is the caller's to ask.
func (o *OIDC) Finish(w http.ResponseWriter, r *http.Request) (Tokens, error) {
	f, err := o.flows.load(r)
	o.flows.clear(w)
	if err != nil {
		return Tokens{}, err
	}
	query := r.URL.Query()
	if !f.matchesState(query.Get("state")) {
		return Tokens{}, ErrStateMismatch
	}
	if code := query.Get("error"); code != "" {
		return Tokens{}, fmt.Errorf("%w: %s", ErrProviderRefused, code)
	}
	if query.Get("code") == "" {
		return Tokens{}, fmt.Errorf("%w: the answer has no authorization code", ErrProviderRefused)
	}
	token, err := o.oauth.Exchange(o.clientContext(r.Context()), query.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return Tokens{}, fmt.Errorf("exchange the authorization code: %w", exchangeError(err))
	}
	return o.verified(r.Context(), token, f.Nonce)
}

// Renew trades the refresh token for a new ID token.
func (o *OIDC) Renew(ctx context.Context, refresh string) (Tokens, error) {
	source := o.oauth.TokenSource(o.clientContext(ctx), &oauth2.Token{RefreshToken: refresh})
	token, err := source.Token()
	if err != nil {
		return Tokens{}, fmt.Errorf("renew the ID token: %w", exchangeError(err))
	}
	tokens, err := o.verified(ctx, token, "")
	if err == nil && tokens.Refresh == "" {
		// A provider that does not rotate refresh tokens sends none back.
		tokens.Refresh = refresh
	}
	return tokens, err
}

// verified checks the ID token in a token response. A renewed ID token
// carries no nonce (OpenID Connect Core 12.2), so nonce is empty then.
func (o *OIDC) verified(ctx context.Context, token *oauth2.Token, nonce string) (Tokens, error) {
	raw, _ := token.Extra("id_token").(string)
	if raw == "" {
		return Tokens{}, fmt.Errorf("%w: the provider sent none", ErrBadIDToken)
	}
	idToken, err := o.verifier.Verify(o.clientContext(ctx), raw)
	if err != nil {
		return Tokens{}, fmt.Errorf("%w: %w", ErrBadIDToken, err)
	}
	if nonce != "" && !sameSecret(idToken.Nonce, nonce) {
		return Tokens{}, fmt.Errorf("%w: its nonce is not this sign-in's", ErrBadIDToken)
	}
	return Tokens{IDToken: raw, Expiry: idToken.Expiry, Refresh: token.RefreshToken}, nil
}

// SignOutURL is where the browser goes to end its session at the
// provider too, coming back to the console's sign-in page (postSignOutURL,
// to be registered with the provider as a post-logout redirect URI);
// empty if the provider offers no end_session_endpoint. It names the
// console by client_id rather than by id_token_hint: the ID token is a
// credential for the cluster, and a URL ends up in browser history and
// the provider's access logs.
func (o *OIDC) SignOutURL() string {
	if o.endSession == "" {
		return ""
	}
	u, err := url.Parse(o.endSession)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("client_id", o.clientID)
	q.Set("post_logout_redirect_uri", o.postSignOutURL())
	u.RawQuery = q.Encode()
	return u.String()
}

// postSignOutURL is the console's sign-in page, at the redirect URL's
// origin.
func (o *OIDC) postSignOutURL() string {
	u, err := url.Parse(o.oauth.RedirectURL)
	if err != nil {
		return ""
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/sign-in"}).String()
}

// NeedsRenewal reports whether an ID token that expires at expiry should
// be renewed before it is used at now.
func NeedsRenewal(now, expiry time.Time) bool {
	return !now.Before(expiry.Add(-renewBefore))
}

func (o *OIDC) clientContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, o.httpClient)
}

// exchangeError keeps what the provider said (its error code and
// description) and drops the raw response body, which is not for logs.
func exchangeError(err error) error {
	var retrieve *oauth2.RetrieveError
	if errors.As(err, &retrieve) {
		if retrieve.ErrorCode != "" {
			return fmt.Errorf("%w: %s %s", ErrProviderRefused, retrieve.ErrorCode, retrieve.ErrorDescription)
		}
		status := 0
		if retrieve.Response != nil {
			status = retrieve.Response.StatusCode
		}
		return fmt.Errorf("%w: HTTP status %d", ErrProviderRefused, status)
	}
	return err
}
