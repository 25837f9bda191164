package session

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

var t0 = time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)

func store(t *testing.T, key string, clk *clocktesting.FakeClock) *Store {
	t.Helper()
	s, err := NewStore([]byte(key), clk)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// roundTrip saves sess and returns the request a browser would send back.
func roundTrip(t *testing.T, s *Store, sess Session) (*http.Request, *http.Cookie) {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := s.Save(rec, sess); err != nil {
		t.Fatal(err)
	}
	cookie := rec.Result().Cookies()[0]
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(cookie)
	return req, cookie
}

const key = "a session key of at least thirty-two bytes!"

func TestASessionComesBackWholeFromItsCookie(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	s := store(t, key, clk)
	sess := s.New("the-users-token", t0.Add(time.Hour), "da")
	req, cookie := roundTrip(t, s, sess)
	if !cookie.Secure || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" || cookie.Name != CookieName {
		t.Errorf("cookie %+v: want Secure, HttpOnly, SameSite=Lax, Path=/ under %s", cookie, CookieName)
	}
	if strings.Contains(cookie.Value, "the-users-token") {
		t.Error("the token is readable in the cookie")
	}
	got, err := s.Load(req)
	if err != nil || got.Token != "the-users-token" || got.Lang != "da" || !got.Expiry.Equal(t0.Add(time.Hour)) {
		t.Fatalf("loaded %+v, %v", got, err)
	}
	if !got.ValidCSRF(sess.CSRF) || got.ValidCSRF("") || got.ValidCSRF(sess.CSRF+"x") {
		t.Error("the CSRF check accepts the wrong token or refuses the right one")
	}
	if other := s.New("t", time.Time{}, ""); other.CSRF == sess.CSRF || !other.Expiry.Equal(t0.Add(MaxAge)) {
		t.Errorf("a second session %+v: want its own CSRF token and the longest age", other)
	}
}

func TestSessionsThatMustNotLoad(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	s := store(t, key, clk)
	req, cookie := roundTrip(t, s, s.New("token", t0.Add(time.Hour), ""))

	tampered := httptest.NewRequest(http.MethodGet, "/", nil)
	tampered.AddCookie(&http.Cookie{Name: CookieName, Value: cookie.Value[:len(cookie.Value)-2] + "AA"})
	for name, r := range map[string]*http.Request{"none": httptest.NewRequest(http.MethodGet, "/", nil), "tampered": tampered} {
		if _, err := s.Load(r); !errors.Is(err, ErrNoSession) {
			t.Errorf("%s: %v, want ErrNoSession", name, err)
		}
	}
	if _, err := store(t, "another key of at least thirty-two bytes..", clk).Load(req); !errors.Is(err, ErrNoSession) {
		t.Errorf("another key: %v, want ErrNoSession", err)
	}
	clk.Step(time.Hour)
	if _, err := s.Load(req); !errors.Is(err, ErrNoSession) {
		t.Errorf("expired: %v, want ErrNoSession", err)
	}
}

func TestATokenTooLargeForACookieIsRefused(t *testing.T) {
	s := store(t, key, clocktesting.NewFakeClock(t0))
	err := s.Save(httptest.NewRecorder(), s.New(strings.Repeat("x", 3500), time.Time{}, ""))
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("a 3.5 KB token: %v, want ErrTooLarge", err)
	}
	if _, err := NewStore([]byte("short"), nil); err == nil {
		t.Error("a 5-byte key was accepted")
	}
}
