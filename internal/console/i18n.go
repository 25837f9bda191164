package console

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/rpa-operator/rpa-operator/internal/console/web"
)

// languages the console speaks; the first is the default.
var languages = []language.Tag{language.Danish, language.English}

var languageMatcher = language.NewMatcher(languages)

// newBundle loads the embedded catalogs.
func newBundle() (*i18n.Bundle, error) {
	bundle := i18n.NewBundle(languages[0])
	bundle.RegisterUnmarshalFunc("json", json.Unmarshal)
	for _, tag := range languages {
		name := "i18n/" + tag.String() + ".json"
		data, err := fs.ReadFile(web.Files, name)
		if err != nil {
			return nil, err
		}
		if _, err := bundle.ParseMessageFileBytes(data, name); err != nil {
			return nil, fmt.Errorf("message catalog %s: %w", name, err)
		}
	}
	return bundle, nil
}

// languageOf is the session's language, else the browser's best match.
func languageOf(r *http.Request, chosen string) string {
	for _, tag := range languages {
		if chosen == tag.String() {
			return chosen
		}
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	_, index, _ := languageMatcher.Match(tags...)
	return languages[index].String()
}

// otherLanguage is the one the switch offers.
func otherLanguage(lang string) string {
	if lang == language.English.String() {
		return language.Danish.String()
	}
	return language.English.String()
}
