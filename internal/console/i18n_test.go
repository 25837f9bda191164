package console

import (
	"encoding/json"
	"io/fs"
	"maps"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/rpa-operator/rpa-operator/internal/console/web"
)

// TestBothLanguagesSayEverything: a message missing in one catalog would
// show its key to that language's users.
func TestBothLanguagesSayEverything(t *testing.T) {
	keys := map[string][]string{}
	for _, tag := range languages {
		data, err := fs.ReadFile(web.Files, "i18n/"+tag.String()+".json")
		if err != nil {
			t.Fatal(err)
		}
		var messages map[string]string
		if err := json.Unmarshal(data, &messages); err != nil {
			t.Fatal(err)
		}
		keys[tag.String()] = slices.Sorted(maps.Keys(messages))
	}
	if !slices.Equal(keys["da"], keys["en"]) {
		t.Errorf("the catalogs differ:\nda %v\nen %v", keys["da"], keys["en"])
	}
}

func TestTheLanguageIsTheChosenOneElseTheBrowsers(t *testing.T) {
	for _, tt := range []struct{ accept, chosen, want string }{
		{"", "", "da"},
		{"en-GB,en;q=0.9", "", "en"},
		{"sv-SE,sv;q=0.9", "", "da"},
		{"en", "da", "da"},
		{"da", "en", "en"},
		{"en", "fr", "en"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Language", tt.accept)
		if got := languageOf(r, tt.chosen); got != tt.want {
			t.Errorf("Accept-Language %q, chosen %q: %s, want %s", tt.accept, tt.chosen, got, tt.want)
		}
	}
}
