// Package session keeps a console user's session in one encrypted,
// authenticated cookie (github.com/gorilla/securecookie): their bearer
// token for kube-apiserver, when the session ends, a CSRF token and their
// language. Nothing is kept server-side, so replicas share no store; the
// keys are the console's (docs/design/console.md).
package session

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"k8s.io/utils/clock"
)

// CookieName is the session cookie's. The __Host- prefix makes browsers
// keep it only when Secure, for this host alone and for every path.
const CookieName = "__Host-rpa-console"

// MaxAge is the longest a session lasts, whatever its token allows.
const MaxAge = 8 * time.Hour

// maxCookieBytes keeps a session within what every browser stores.
const maxCookieBytes = 4000

// MinKeyBytes is the least key the console accepts.
const MinKeyBytes = 32

// ErrTooLarge means the token does not fit in a cookie.
var ErrTooLarge = errors.New("the sign-in token is too large for a session cookie")

// ErrNoSession means the request carries no valid session: none, one
// that was tampered with, made with another key, or expired.
var ErrNoSession = errors.New("no valid session")

// Session is what the console knows of a signed-in user. The user's name
// is not in it: who a token is comes from kube-apiserver on each use.
type Session struct {
	Token  string    `json:"t"`
	Expiry time.Time `json:"e"`
	CSRF   string    `json:"c"`
	Lang   string    `json:"l,omitempty"`
	// OIDC marks a session signed in through the OpenID provider: its
	// Token is an ID token, renewed with Refresh before TokenExpiry.
	OIDC        bool      `json:"o,omitempty"`
	Refresh     string    `json:"r,omitempty"`
	TokenExpiry time.Time `json:"x,omitzero"`
}

// Store reads and writes sessions.
type Store struct {
	codec *securecookie.SecureCookie
	clock clock.PassiveClock
}

// NewStore derives the cookie's signing and encryption keys from key (at
// least MinKeyBytes of random data) with HKDF.
func NewStore(key []byte, clk clock.PassiveClock) (*Store, error) {
	if len(key) < MinKeyBytes {
		return nil, fmt.Errorf("the session key has %d bytes, fewer than the %d needed", len(key), MinKeyBytes)
	}
	hashKey, err := hkdf.Key(sha256.New, key, nil, "rpa-console session signing", 64)
	if err != nil {
		return nil, err
	}
	blockKey, err := hkdf.Key(sha256.New, key, nil, "rpa-console session encryption", 32)
	if err != nil {
		return nil, err
	}
	// The length is checked in Save, against the cookie as a whole.
	codec := securecookie.New(hashKey, blockKey).MaxAge(int(MaxAge.Seconds())).MaxLength(0).SetSerializer(securecookie.JSONEncoder{})
	if clk == nil {
		clk = clock.RealClock{}
	}
	return &Store{codec: codec, clock: clk}, nil
}

// New starts a session for token, ending when the token does (expiry, if
// known) or after MaxAge, whichever is first.
func (s *Store) New(token string, expiry time.Time, lang string) Session {
	end := s.clock.Now().Add(MaxAge)
	if !expiry.IsZero() && expiry.Before(end) {
		end = expiry
	}
	return Session{Token: token, Expiry: end, CSRF: randomToken(), Lang: lang}
}

// NewRenewable starts a session for an ID token from the OpenID provider.
// With a refresh token it lasts MaxAge, the ID token renewed as it
// expires; without one it ends with the ID token.
func (s *Store) NewRenewable(idToken string, expiry time.Time, refresh, lang string) Session {
	sess := s.New(idToken, expiry, lang)
	if refresh != "" {
		sess.Expiry = s.clock.Now().Add(MaxAge)
	}
	sess.OIDC, sess.Refresh, sess.TokenExpiry = true, refresh, expiry
	return sess
}

// Save writes the session cookie.
func (s *Store) Save(w http.ResponseWriter, sess Session) error {
	value, err := s.codec.Encode(CookieName, sess)
	if err != nil {
		return fmt.Errorf("encode the session: %w", err)
	}
	if len(CookieName)+len(value) > maxCookieBytes {
		return ErrTooLarge
	}
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: value, Path: "/", Expires: sess.Expiry,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// Load reads the request's session.
func (s *Store) Load(r *http.Request) (Session, error) {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return Session{}, ErrNoSession
	}
	var sess Session
	if err := s.codec.Decode(CookieName, c.Value, &sess); err != nil {
		return Session{}, ErrNoSession
	}
	if !s.clock.Now().Before(sess.Expiry) || sess.Token == "" || sess.CSRF == "" {
		return Session{}, ErrNoSession
	}
	return sess, nil
}

// Clear ends the session in the browser.
func (s *Store) Clear(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// ValidCSRF reports whether a form's token is the session's.
func (sess Session) ValidCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRF)) == 1
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}
