package signin

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const testKey = "a sign-in flow key of at least thirty-two bytes"

func flowCookiesFor(t *testing.T, key string) *flowCookies {
	t.Helper()
	c, err := newFlowCookies([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// saved saves f and returns the cookie a browser would send back.
func saved(t *testing.T, c *flowCookies, f flow) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := c.save(rec, f); err != nil {
		t.Fatal(err)
	}
	return rec.Result().Cookies()[0]
}

func requestWith(cookie *http.Cookie) *http.Request {
	req := httptest.NewRequest(http.MethodGet, CallbackPath, nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	return req
}

func TestAFlowComesBackWholeFromItsEncryptedCookie(t *testing.T) {
	c := flowCookiesFor(t, testKey)
	f := newFlow()
	cookie := saved(t, c, f)
	if cookie.Name != FlowCookieName || !cookie.Secure || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" {
		t.Errorf("cookie %+v: want Secure, HttpOnly, SameSite=Lax, Path=/ under %s", cookie, FlowCookieName)
	}
	if cookie.MaxAge != int(flowMaxAge.Seconds()) {
		t.Errorf("cookie lasts %ds, want %s", cookie.MaxAge, flowMaxAge)
	}
	for _, secret := range []string{f.State, f.Nonce, f.Verifier} {
		if strings.Contains(cookie.Value, secret) {
			t.Error("the flow is readable in the cookie")
		}
	}
	got, err := c.load(requestWith(cookie))
	if err != nil || got != f {
		t.Fatalf("loaded %+v, %v; want %+v", got, err, f)
	}
	if !got.matchesState(f.State) || got.matchesState("") || got.matchesState(f.State+"x") {
		t.Error("the state check accepts the wrong state or refuses the right one")
	}
	if other := newFlow(); other.State == f.State || other.Nonce == f.Nonce || other.Verifier == f.Verifier {
		t.Error("two flows share a secret")
	}
}

func TestAFlowCookieThatIsNotThisConsolesIsNoFlow(t *testing.T) {
	c := flowCookiesFor(t, testKey)
	good := saved(t, c, newFlow())
	tampered := *good
	tampered.Value = good.Value[:len(good.Value)-2] + "xx"
	otherKey := saved(t, flowCookiesFor(t, testKey+" but another"), newFlow())
	for name, cookie := range map[string]*http.Cookie{"none": nil, "tampered": &tampered, "another key": otherKey} {
		if _, err := c.load(requestWith(cookie)); !errors.Is(err, ErrNoFlow) {
			t.Errorf("%s: %v, want ErrNoFlow", name, err)
		}
	}
	if _, err := newFlowCookies([]byte("short")); err == nil {
		t.Error("a short key is accepted")
	}
}

func TestClearingTheFlowCookieExpiresIt(t *testing.T) {
	rec := httptest.NewRecorder()
	flowCookiesFor(t, testKey).clear(rec)
	cookie := rec.Result().Cookies()[0]
	if cookie.Name != FlowCookieName || cookie.MaxAge >= 0 || cookie.Value != "" {
		t.Errorf("cleared cookie %+v: want it empty and expired", cookie)
	}
}

func TestAnIDTokenIsRenewedAMinuteBeforeItExpires(t *testing.T) {
	expiry := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name string
		now  time.Time
		want bool
	}{
		{"an hour before", expiry.Add(-time.Hour), false},
		{"just over a minute before", expiry.Add(-time.Minute - time.Second), false},
		{"a minute before", expiry.Add(-time.Minute), true},
		{"at expiry", expiry, true},
		{"after expiry", expiry.Add(time.Hour), true},
	} {
		if got := NeedsRenewal(tt.now, expiry); got != tt.want {
			t.Errorf("%s: NeedsRenewal = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSignOutNamesTheConsoleNotTheToken(t *testing.T) {
	o := &OIDC{endSession: "https://login.example/logout?tenant=a", clientID: "rpa-console"}
	o.oauth.RedirectURL = "https://rpa.herning.dk" + CallbackPath
	got := o.SignOutURL()
	want := "https://login.example/logout?client_id=rpa-console&post_logout_redirect_uri=https%3A%2F%2Frpa.herning.dk%2Fsign-in&tenant=a"
	if got != want {
		t.Errorf("SignOutURL = %s, want %s", got, want)
	}
	if (&OIDC{}).SignOutURL() != "" {
		t.Error("a provider without end_session_endpoint: want no sign-out URL")
	}
}
