package console

import (
	"errors"
	"mime"
	"net/http"
)

// boundedForm bounds a form's body and reads it (multipart or not)
// before withSession reads the CSRF token from it: so that no request
// makes the console read more than limit bytes, and so that a body too
// large is told as such rather than as a form without its token. The
// form is only read here; nothing is done before the token is checked.
func (s *Server) boundedForm(limit int64, tooLarge string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		err := parseForm(r, limit)
		if err == nil {
			next(w, r)
			return
		}
		lang, csrf := languageOf(r, ""), ""
		if sess, serr := s.Sessions.Load(r); serr == nil {
			lang, csrf = languageOf(r, sess.Lang), sess.CSRF
		}
		var maxBytes *http.MaxBytesError
		if errors.As(err, &maxBytes) {
			s.fail(w, r, http.StatusRequestEntityTooLarge, tooLarge, lang, csrf)
			return
		}
		s.fail(w, r, http.StatusBadRequest, "error.form", lang, csrf)
	}
}

// parseForm reads a multipart form (an upload) or a URL-encoded one.
// ParseMultipartForm alone would hide a URL-encoded body's error behind
// http.ErrNotMultipart. limit bytes of a multipart form are kept in
// memory: the body is bounded to that, so nothing goes to disk.
func parseForm(r *http.Request, limit int64) error {
	media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if media == "multipart/form-data" {
		return r.ParseMultipartForm(limit)
	}
	return r.ParseForm()
}
