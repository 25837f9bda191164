package signin

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"golang.org/x/oauth2"
)

// FlowCookieName is the cookie that carries one sign-in from the console
// to the provider and back. The __Host- prefix keeps it Secure, on this
// host alone.
const FlowCookieName = "__Host-rpa-console-signin"

// flowMaxAge is how long a person has to sign in at the provider.
const flowMaxAge = 10 * time.Minute

// minFlowKeyBytes is the least key the flow cookie is made with.
const minFlowKeyBytes = 32

// flow is what the callback must match: the state sent to the provider,
// the nonce its ID token must carry, and the PKCE verifier the code is
// exchanged with. It never leaves the browser unencrypted.
type flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
}

func newFlow() flow {
	return flow{State: randomValue(), Nonce: randomValue(), Verifier: oauth2.GenerateVerifier()}
}

// matchesState compares in constant time, as the state is a secret of
// this browser's.
func (f flow) matchesState(state string) bool {
	return sameSecret(state, f.State)
}

// flowCookies reads and writes the flow cookie.
type flowCookies struct {
	codec *securecookie.SecureCookie
}

// newFlowCookies derives the cookie's own signing and encryption keys
// from key with HKDF, apart from the session cookie's (another "info"),
// so a flow cookie can never be read as a session or the other way round.
func newFlowCookies(key []byte) (*flowCookies, error) {
	if len(key) < minFlowKeyBytes {
		return nil, fmt.Errorf("the sign-in flow key has %d bytes, fewer than the %d needed", len(key), minFlowKeyBytes)
	}
	hashKey, err := hkdf.Key(sha256.New, key, nil, "rpa-console sign-in flow signing", 64)
	if err != nil {
		return nil, err
	}
	blockKey, err := hkdf.Key(sha256.New, key, nil, "rpa-console sign-in flow encryption", 32)
	if err != nil {
		return nil, err
	}
	codec := securecookie.New(hashKey, blockKey).MaxAge(int(flowMaxAge.Seconds())).SetSerializer(securecookie.JSONEncoder{})
	return &flowCookies{codec: codec}, nil
}

// save writes the flow cookie. SameSite=Lax: the provider's redirect back
// is a top-level GET from another site, which Lax lets through and which
// Strict would not.
func (c *flowCookies) save(w http.ResponseWriter, f flow) error {
	value, err := c.codec.Encode(FlowCookieName, f)
	if err != nil {
		return fmt.Errorf("encode the sign-in flow: %w", err)
	}
	http.SetCookie(w, &http.Cookie{
		Name: FlowCookieName, Value: value, Path: "/", MaxAge: int(flowMaxAge.Seconds()),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// load reads the flow cookie; one that is missing, tampered with, made
// with another key or older than flowMaxAge is ErrNoFlow.
func (c *flowCookies) load(r *http.Request) (flow, error) {
	cookie, err := r.Cookie(FlowCookieName)
	if err != nil {
		return flow{}, ErrNoFlow
	}
	var f flow
	if err := c.codec.Decode(FlowCookieName, cookie.Value, &f); err != nil || f.State == "" || f.Nonce == "" || f.Verifier == "" {
		return flow{}, ErrNoFlow
	}
	return f, nil
}

// clear removes the flow cookie: a sign-in is used once.
func (c *flowCookies) clear(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: FlowCookieName, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func randomValue() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

func sameSecret(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
