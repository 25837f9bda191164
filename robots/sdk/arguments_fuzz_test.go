package sdk

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzArguments checks the typed getters on any name and value: they never
// panic; an empty value is not set; every failure is an *ArgumentError
// that names the argument as asked and its variable (and the value, when
// there is one); a value a getter accepts comes back from the value's
// canonical form; names match ignoring ASCII case; and a default fills only
// what is not set.
func FuzzArguments(f *testing.F) {
	// From the table tests.
	for _, kv := range [][2]string{
		{"batch", "2025-Q3"}, {"limit", "40"}, {"dryRun", "true"}, {"timeout", "90s"},
		{"sandboxURL", "http://sandbox:8080"}, {"systems", " sbsys, ,acadre "},
		{"limit", "many"}, {"empty", ""}, {"sandboxURL", "sandbox:8080"}, {"timeout", "soon"},
		// Huge numbers and durations, lists of nothing, odd URLs.
		{"limit", "99999999999999999999"}, {"limit", "-9223372036854775808"}, {"limit", "+7"},
		{"timeout", "-2562047h47m16.854775808s"}, {"timeout", "1.5h"}, {"timeout", "0"},
		{"systems", " , ,"}, {"sandboxURL", "https://user:pass@[::1]:8443/p?q=1#f"}, {"sandboxURL", "http://%41:80/"},
		{"dryRun", "T"}, {"dryRun", "yes"},
	} {
		f.Add(kv[0], kv[1], "default")
	}
	f.Add("MUNICIPALITY", "", "Roskilde")
	f.Fuzz(func(t *testing.T, name, value, def string) {
		a := NewArguments(map[string]string{name: value})
		if got, set := a.Lookup(name); got != value || set != (value != "") {
			t.Fatalf("Lookup(%q) = %q, %v; the value is %q", name, got, set, value)
		}
		if isASCII(name) {
			for _, variant := range []string{strings.ToUpper(name), strings.ToLower(name)} {
				if got, _ := a.Lookup(variant); got != value {
					t.Fatalf("Lookup(%q) = %q, Lookup(%q) = %q", name, value, variant, got)
				}
			}
		}
		if names := a.Names(); (value == "") != (len(names) == 0) || len(names) > 0 && names[0] != strings.ToUpper(name) {
			t.Fatalf("Names() = %q for %q = %q", names, name, value)
		}

		checkGetter(t, a, name, value, Arguments.String, func(s string) string { return s })
		checkGetter(t, a, name, value, Arguments.Int, strconv.Itoa)
		checkGetter(t, a, name, value, Arguments.Bool, strconv.FormatBool)
		checkGetter(t, a, name, value, Arguments.Duration, time.Duration.String)
		checkGetter(t, a, name, value, Arguments.List, func(l []string) string { return strings.Join(l, ",") })
		if u, err := a.URL(name); err == nil {
			if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				t.Fatalf("URL(%q) accepted %q", value, u)
			}
			again, err := NewArguments(map[string]string{name: u.String()}).URL(name)
			if err != nil || again.Scheme != u.Scheme || again.Host != u.Host {
				t.Fatalf("URL(%q) = %q, which reads back as %v, %v", value, u, again, err)
			}
		} else {
			checkArgumentError(t, err, name, value)
		}
		if l, err := a.List(name); err == nil {
			for _, e := range l {
				if e == "" || e != strings.TrimSpace(e) || strings.Contains(e, ",") {
					t.Fatalf("List(%q) = %q: entry %q", value, l, e)
				}
			}
		}

		withDefault := a.WithDefaults(map[string]string{name: def})
		want := value
		if value == "" {
			want = def
		}
		if got, _ := withDefault.Lookup(name); got != want {
			t.Fatalf("%q = %q with default %q reads %q", name, value, def, got)
		}
		if got, _ := a.Lookup(name); got != value {
			t.Fatalf("WithDefaults changed the arguments it was called on: %q = %q", name, got)
		}
	})
}

// checkGetter checks one typed getter (a method expression such as
// Arguments.Int): a failure is an *ArgumentError, and an accepted value
// converts the same from its canonical form.
func checkGetter[T any](t *testing.T, a Arguments, name, value string, get func(Arguments, string) (T, error), format func(T) string) {
	t.Helper()
	got, err := get(a, name)
	if err != nil {
		checkArgumentError(t, err, name, value)
		return
	}
	if value == "" {
		t.Fatalf("an empty %q read as %v", name, got)
	}
	canonical := format(got)
	again, err := get(NewArguments(map[string]string{name: canonical}), name)
	if err != nil || fmt.Sprint(again) != fmt.Sprint(got) {
		t.Fatalf("%q = %q reads %v, but its form %q reads %v, %v", name, value, got, canonical, again, err)
	}
}

func checkArgumentError(t *testing.T, err error, name, value string) {
	t.Helper()
	var argErr *ArgumentError
	if !errors.As(err, &argErr) {
		t.Fatalf("%q = %q: err %v (%T), want an *ArgumentError", name, value, err, err)
	}
	variable := ArgumentEnvPrefix + strings.ToUpper(name)
	switch {
	case argErr.Name != name:
		t.Fatalf("error names %q, the argument asked for is %q", argErr.Name, name)
	case errors.Is(err, ErrMissing) != (value == ""):
		t.Fatalf("%q = %q: errors.Is(err, ErrMissing) = %v", name, value, errors.Is(err, ErrMissing))
	case !strings.Contains(err.Error(), variable):
		t.Fatalf("error %q does not name %s", err, variable)
	case value != "" && (argErr.Value != value || !strings.Contains(err.Error(), strconv.Quote(value))):
		t.Fatalf("error %q does not quote the value %q", err, value)
	}
}

func isASCII(s string) bool {
	return !slices.ContainsFunc([]byte(s), func(b byte) bool { return b >= 0x80 })
}
