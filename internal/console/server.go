// Package console is the web console for the people who operate robots
// but do not use kubectl (docs/design/console.md). It has no privileges
// of its own: every page is read, and every action made, with the
// signed-in user's own token against kube-apiserver.
package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/rpa-operator/rpa-operator/internal/console/kube"
	"github.com/rpa-operator/rpa-operator/internal/console/session"
	"github.com/rpa-operator/rpa-operator/internal/console/signin"
	"github.com/rpa-operator/rpa-operator/internal/console/web"
)

// maxTokenBytes bounds a pasted token.
const maxTokenBytes = 16 << 10

// contentSecurityPolicy lets a page load only the console's own style
// sheet and script, and stream from and post to only the console.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// Config is what the console is given.
type Config struct {
	Sessions *session.Store
	Users    *kube.Factory
	// Namespaces are the namespaces whose robots the console shows, to
	// those users who may list them there.
	Namespaces []string
	// TokenSignIn allows signing in with a pasted Kubernetes token.
	TokenSignIn bool
	// OIDC, when set, signs people in through the OpenID provider
	// (docs/console-oidc.md).
	OIDC *signin.OIDC
	// OIDCProvider is the provider's name on the sign-in button.
	OIDCProvider string
	// Location is the time zone times are shown in.
	Location *time.Location
	Clock    clock.PassiveClock
}

// Server serves the console.
type Server struct {
	Config
	bundle *i18n.Bundle
	pages  map[string]*template.Template
	// liveStreams holds a place for each open event stream (run_live.go);
	// streamsDone ends them all when the server shuts down.
	liveStreams chan struct{}
	streamsDone context.Context
	endStreams  context.CancelFunc
}

// New parses the templates and catalogs.
func New(cfg Config) (*Server, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	bundle, err := newBundle()
	if err != nil {
		return nil, err
	}
	s := &Server{Config: cfg, bundle: bundle, pages: map[string]*template.Template{}, liveStreams: make(chan struct{}, maxLiveStreams)}
	s.streamsDone, s.endStreams = context.WithCancel(context.Background())
	for _, page := range []string{"signin", "overview", "robot", "queue", "item", "queuereport", "run", "audit", "error"} {
		t, err := template.New(page).Funcs(parseFuncs).ParseFS(web.Files, "templates/layout.html", "templates/"+page+".html")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", page, err)
		}
		s.pages[page] = t
	}
	return s, nil
}

// parseFuncs name the functions pages use; render binds them to the
// request's language.
var parseFuncs = template.FuncMap{
	"t": func(string) string { return "" }, "tdata": func(string, any) string { return "" },
	"when": func(any) string { return "" }, "iso": func(any) string { return "" }, "reason": func(string) string { return "" },
	"robotPath": robotPath, "localTime": localTime,
	"queuePath": queuePath, "runPath": runPath, "auditPath": auditPath, "contains": slices.Contains[[]string], "deref": deref,
}

// Handler is the console: its pages behind the security headers and Go's
// cross-origin protection (Sec-Fetch-Site, Origin) for every POST.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(web.Files, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", s.overview)
	mux.HandleFunc("GET /sign-in", s.signInForm)
	mux.HandleFunc("POST /sign-in", s.signIn)
	mux.HandleFunc("GET /sign-in/oidc", s.signInWithProvider)
	mux.HandleFunc("GET "+signin.CallbackPath, s.providerCallback)
	mux.HandleFunc("POST /sign-out", s.withSession(s.signOut))
	mux.HandleFunc("POST /language", s.withSession(s.setLanguage))
	mux.HandleFunc("GET /namespaces/{namespace}/robots/{robot}", s.withSession(s.robotPage))
	mux.HandleFunc("POST /namespaces/{namespace}/robots/{robot}/runs", s.withSession(s.startRun))
	mux.HandleFunc("POST /namespaces/{namespace}/robots/{robot}/suspend", s.withSession(s.setSuspend))
	mux.HandleFunc("GET /namespaces/{namespace}/queues/{queue}", s.withSession(s.queuePage))
	mux.HandleFunc("GET /namespaces/{namespace}/runs/{run}", s.withSession(s.runPage))
	mux.HandleFunc("GET /namespaces/{namespace}/runs/{run}/events", s.withSession(s.runEvents))
	mux.HandleFunc("GET /namespaces/{namespace}/audit", s.withSession(s.auditPage))
	mux.HandleFunc("POST /namespaces/{namespace}/runs/{run}/cancel", s.withSession(s.cancelRun))
	mux.HandleFunc("POST /namespaces/{namespace}/queues/{queue}/items/{item}/{action}",
		s.boundedForm(maxDecisionFormBytes, "error.formTooLarge", s.withSession(s.decideItem)))
	mux.HandleFunc("GET /namespaces/{namespace}/queues/{queue}/items/{item}", s.withSession(s.itemPage))
	mux.HandleFunc("POST /namespaces/{namespace}/queues/{queue}/items/{item}/edit",
		s.boundedForm(maxEditFormBytes, "error.formTooLarge", s.withSession(s.editAndRetry)))
	mux.HandleFunc("POST /namespaces/{namespace}/queues/{queue}/bulk",
		s.boundedForm(maxDecisionFormBytes, "error.formTooLarge", s.withSession(s.bulkDecide)))
	mux.HandleFunc("POST /namespaces/{namespace}/queues/{queue}/upload",
		s.boundedForm(maxUploadFormBytes, "upload.tooLarge", s.withSession(s.uploadItems)))
	return securityHeaders(http.NewCrossOriginProtection().Handler(mux))
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// page is what every template gets.
type page struct {
	Title, Lang, OtherLang, CSRF string
	Error                        string
	// Detail is what the API said, when it refused a request.
	Detail string
	Data   any
}

// translator looks messages up in lang's catalog; a key it lacks is
// shown as itself.
func (s *Server) translator(lang string) func(key string, values any) string {
	localizer := i18n.NewLocalizer(s.bundle, lang)
	return func(key string, values any) string {
		msg, err := localizer.Localize(&i18n.LocalizeConfig{MessageID: key, TemplateData: values})
		if err != nil {
			return key
		}
		return msg
	}
}

// reasonInWords says a condition's reason in plain words, with the reason
// itself for the platform team; a reason without words stays as it is.
func reasonInWords(translate func(string, any) string, code string) string {
	key := "reason." + code
	if words := translate(key, nil); words != key {
		return words + " (" + code + ")"
	}
	return code
}

// render writes a page in the request's language.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, lang, csrf string, data any) {
	translate := s.translator(lang)
	t, err := s.pages[name].Clone()
	if err != nil {
		http.Error(w, "template", http.StatusInternalServerError)
		return
	}
	t.Funcs(template.FuncMap{
		"robotPath": robotPath, "localTime": localTime,
		"queuePath": queuePath, "runPath": runPath, "auditPath": auditPath, "contains": slices.Contains[[]string], "deref": deref,
		"t":      func(key string) string { return translate(key, nil) },
		"tdata":  translate,
		"when":   func(at any) string { return localTime(asTime(at).In(s.Location)) },
		"iso":    func(at any) string { return asTime(at).UTC().Format(time.RFC3339) },
		"reason": func(code string) string { return reasonInWords(translate, code) },
	})
	var out bytes.Buffer
	p := page{Title: translate(name+".title", nil), Lang: lang, OtherLang: otherLanguage(lang), CSRF: csrf, Data: data}
	if e, ok := data.(errorPage); ok {
		p.Error, p.Detail = e.key, e.detail
	}
	if err := t.ExecuteTemplate(&out, "layout", withData(p)); err != nil {
		log.FromContext(r.Context()).Error(err, "render the console page", "page", name)
		http.Error(w, "the page could not be made", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(out.Bytes())
}

// pageData merges the page's fields and its own data for the templates.
type pageData struct {
	page
	Robots     []RobotRow
	Queues     []QueueRow
	Namespaces []string
	Hidden     bool
	Who        map[string]string
	Robot      *robotData
	Queue      *queueData
	Run        *runData
	Audit      *auditData
	SignIn     *signInData
}

func withData(p page) pageData {
	d := pageData{page: p}
	if rd, ok := p.Data.(*robotData); ok {
		d.Robot = rd
	}
	if qd, ok := p.Data.(*queueData); ok {
		d.Queue = qd
	}
	if rd, ok := p.Data.(*runData); ok {
		d.Run = rd
	}
	if ad, ok := p.Data.(*auditData); ok {
		d.Audit = ad
	}
	if sd, ok := p.Data.(signInData); ok {
		d.SignIn, d.Error = &sd, sd.Error
	}
	if o, ok := p.Data.(overviewData); ok {
		d.Robots, d.Queues, d.Namespaces, d.Hidden, d.Who = o.Robots, o.Queues, o.Namespaces, o.Hidden, map[string]string{"Name": o.User}
	}
	return d
}

// errorPage is a page that says what went wrong, by message key.
type errorPage struct{ key, detail string }

func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, key, lang, csrf string) {
	s.render(w, r, status, "error", lang, csrf, errorPage{key: key})
}

// handlerWithSession is a handler for a signed-in user.
type handlerWithSession func(w http.ResponseWriter, r *http.Request, sess session.Session, users *kube.Clients)

// withSession loads the session and the user's clients, and refuses a POST
// whose CSRF token is not the session's.
func (s *Server) withSession(h handlerWithSession) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.Sessions.Load(r)
		if err != nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
				return
			}
			s.fail(w, r, http.StatusForbidden, "error.csrf", languageOf(r, ""), "")
			return
		}
		lang := languageOf(r, sess.Lang)
		if r.Method != http.MethodGet && !sess.ValidCSRF(r.PostFormValue("csrf")) {
			s.fail(w, r, http.StatusForbidden, "error.csrf", lang, sess.CSRF)
			return
		}
		if sess, err = s.renewToken(w, r, sess); err != nil {
			log.FromContext(r.Context()).Info("console session ended: its ID token could not be renewed", "reason", err.Error())
			s.Sessions.Clear(w)
			http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
			return
		}
		users, err := s.Users.For(sess.Token)
		if err != nil {
			s.fail(w, r, http.StatusInternalServerError, "error.cluster", lang, sess.CSRF)
			return
		}
		sess.Lang = lang
		h(w, r, sess, users)
	}
}

// clusterFailure answers an apiserver error: a token it no longer accepts
// ends the session; a refusal is the user's to see.
func (s *Server) clusterFailure(w http.ResponseWriter, r *http.Request, sess session.Session, err error) {
	switch {
	case apierrors.IsUnauthorized(err):
		s.Sessions.Clear(w)
		http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
	case apierrors.IsForbidden(err):
		s.fail(w, r, http.StatusForbidden, "error.forbidden", sess.Lang, sess.CSRF)
	case apierrors.IsNotFound(err):
		s.fail(w, r, http.StatusNotFound, "error.notFound", sess.Lang, sess.CSRF)
	case apierrors.IsConflict(err), apierrors.IsBadRequest(err), apierrors.IsInvalid(err):
		s.render(w, r, statusOf(err), "error", sess.Lang, sess.CSRF,
			errorPage{key: "error.refused", detail: apiMessage(err)})
	default:
		log.FromContext(r.Context()).Error(err, "a console request to the cluster failed")
		s.fail(w, r, http.StatusBadGateway, "error.cluster", sess.Lang, sess.CSRF)
	}
}

// signInData is what the sign-in page offers, and why the last try
// failed (a message key).
type signInData struct {
	// Provider is the OpenID provider's name, when that sign-in is on.
	Provider string
	Token    bool
	Error    string
}

func (s *Server) signInChoices(errorKey string) signInData {
	d := signInData{Token: s.TokenSignIn, Error: errorKey}
	if s.OIDC != nil {
		d.Provider = s.OIDCProvider
	}
	return d
}

func (s *Server) signInForm(w http.ResponseWriter, r *http.Request) {
	if !s.TokenSignIn && s.OIDC == nil {
		s.fail(w, r, http.StatusNotFound, "signin.disabled", languageOf(r, ""), "")
		return
	}
	s.render(w, r, http.StatusOK, "signin", languageOf(r, ""), "", s.signInChoices(""))
}

// refuseSignIn shows the sign-in page again, saying why.
func (s *Server) refuseSignIn(w http.ResponseWriter, r *http.Request, status int, key string) {
	s.render(w, r, status, "signin", languageOf(r, ""), "", s.signInChoices(key))
}

// signIn asks kube-apiserver who the pasted token is; only a token it
// accepts starts a session.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	if !s.TokenSignIn {
		s.fail(w, r, http.StatusNotFound, "signin.disabled", languageOf(r, ""), "")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenBytes)
	token := strings.TrimSpace(r.PostFormValue("token"))
	if token == "" {
		s.refuseSignIn(w, r, http.StatusUnauthorized, "signin.refused")
		return
	}
	// No language yet: the browser's applies until the user picks one.
	s.startSession(w, r, s.Sessions.New(token, time.Time{}, ""), "signin.refused", "signin.tooLarge")
}

// signInWithProvider sends the browser to the OpenID provider, with a
// new sign-in's state, nonce and PKCE challenge.
func (s *Server) signInWithProvider(w http.ResponseWriter, r *http.Request) {
	if s.OIDC == nil {
		s.fail(w, r, http.StatusNotFound, "signin.oidcDisabled", languageOf(r, ""), "")
		return
	}
	target, err := s.OIDC.Start(w)
	if err != nil {
		log.FromContext(r.Context()).Error(err, "start a console sign-in through the OpenID provider")
		s.fail(w, r, http.StatusInternalServerError, "error.cluster", languageOf(r, ""), "")
		return
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// providerCallback finishes the sign-in the provider sent the browser
// back from. The ID token starts a session only if kube-apiserver
// accepts it: the cluster, not the console, decides who it names.
func (s *Server) providerCallback(w http.ResponseWriter, r *http.Request) {
	if s.OIDC == nil {
		s.fail(w, r, http.StatusNotFound, "signin.oidcDisabled", languageOf(r, ""), "")
		return
	}
	tokens, err := s.OIDC.Finish(w, r)
	if err != nil {
		status, key := providerFailure(err)
		log.FromContext(r.Context()).Info("console sign-in through the OpenID provider refused", "reason", err.Error())
		s.refuseSignIn(w, r, status, key)
		return
	}
	s.startSession(w, r, s.Sessions.NewRenewable(tokens.IDToken, tokens.Expiry, tokens.Refresh, ""), "signin.oidcClusterRefused", "signin.oidcTooLarge")
}

// providerFailure is how a failed callback is answered.
func providerFailure(err error) (status int, key string) {
	switch {
	case errors.Is(err, signin.ErrNoFlow):
		return http.StatusBadRequest, "signin.oidcStale"
	case errors.Is(err, signin.ErrStateMismatch):
		return http.StatusBadRequest, "signin.oidcMismatch"
	case errors.Is(err, signin.ErrProviderRefused):
		return http.StatusUnauthorized, "signin.oidcRefused"
	case errors.Is(err, signin.ErrBadIDToken):
		return http.StatusUnauthorized, "signin.oidcBadToken"
	default:
		return http.StatusBadGateway, "signin.oidcUnreachable"
	}
}

// startSession saves sess if kube-apiserver accepts its token
// (SelfSubjectReview), and only then.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, sess session.Session, refusedKey, tooLargeKey string) {
	users, err := s.Users.For(sess.Token)
	if err == nil {
		_, err = users.WhoAmI(r.Context())
	}
	if err != nil {
		log.FromContext(r.Context()).V(1).Info("console sign-in refused", "reason", apierrors.ReasonForError(err))
		s.refuseSignIn(w, r, http.StatusUnauthorized, refusedKey)
		return
	}
	if err := s.Sessions.Save(w, sess); errors.Is(err, session.ErrTooLarge) {
		s.refuseSignIn(w, r, http.StatusBadRequest, tooLargeKey)
		return
	} else if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "error.cluster", languageOf(r, ""), "")
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// renewToken renews an OIDC session's ID token with its refresh token
// shortly before it expires, so kube-apiserver never gets an expired one;
// the renewed session is saved with the response.
func (s *Server) renewToken(w http.ResponseWriter, r *http.Request, sess session.Session) (session.Session, error) {
	if s.OIDC == nil || !sess.OIDC || sess.Refresh == "" || !signin.NeedsRenewal(s.Clock.Now(), sess.TokenExpiry) {
		return sess, nil
	}
	tokens, err := s.OIDC.Renew(r.Context(), sess.Refresh)
	if err != nil {
		return sess, err
	}
	sess.Token, sess.TokenExpiry, sess.Refresh = tokens.IDToken, tokens.Expiry, tokens.Refresh
	return sess, s.Sessions.Save(w, sess)
}

// signOut ends the session here and, for a session from the OpenID
// provider that offers it, at the provider too.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request, sess session.Session, _ *kube.Clients) {
	s.Sessions.Clear(w)
	if s.OIDC != nil && sess.OIDC {
		if target := s.OIDC.SignOutURL(); target != "" {
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
	}
	http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
}

// setLanguage keeps the chosen language in the session.
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request, sess session.Session, _ *kube.Clients) {
	sess.Lang = languageOf(r, r.PostFormValue("lang"))
	if err := s.Sessions.Save(w, sess); err != nil {
		s.fail(w, r, http.StatusInternalServerError, "error.cluster", sess.Lang, sess.CSRF)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// asTime reads the times templates show, given by value or by pointer.
func asTime(v any) time.Time {
	switch t := v.(type) {
	case time.Time:
		return t
	case *time.Time:
		if t != nil {
			return *t
		}
	}
	return time.Time{}
}

// statusOf is the HTTP status the apiserver answered with; 502 when it
// gave no answer (the connection failed).
func statusOf(err error) int {
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Code >= 400 {
		return int(status.Status().Code)
	}
	return http.StatusBadGateway
}

// apiMessage is what the apiserver (or rpa-server behind it) said: its
// own words, shown escaped.
func apiMessage(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Message != "" {
		return status.Status().Message
	}
	return ""
}
