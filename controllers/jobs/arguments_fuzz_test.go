package jobs

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// parameterName is the CRD's pattern for a parameter's name.
var parameterName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// FuzzResolveArguments checks ResolveArguments on parameters as the CRD
// admits them (identifier names, unique ignoring case, no default on a
// required one) and any arguments: it succeeds exactly when every argument
// names a parameter and every required parameter is given; a success
// gives each given argument, else its default; a refusal is an
// *InvalidArgumentsError naming each unknown and missing argument; and
// what the operator resolves is what the robot reads through the SDK from
// its RPA_ARG_<NAME> variables.
//
// The parameters are spec, one per line, "name", "name=default" or
// "name!" (required); the arguments are args, one "name=value" per line.
func FuzzResolveArguments(f *testing.F) {
	// From TestResolveArguments.
	params := "movedInSince=\ndryRun=false\nmunicipality!\nnote"
	f.Add(params, "municipality=Roskilde")
	f.Add(params, "municipality=Roskilde\ndryRun=\nnote=go-live batch of 10")
	f.Add(params, "dryRun=true")
	f.Add(params, "municipality=Aalborg\ndryrun=true\nbatch=40")
	f.Add("", "")
	f.Add("", "x=1")
	f.Add("sandboxURL=http://sandbox:8080", "sandboxURL=https://esdh.example")
	f.Add("limit!\n_private=0", "limit=99999999999999999999999\n_private=\u00e6\u00f8\u00e5")
	f.Fuzz(func(t *testing.T, spec, given string) {
		params, ok := parseParameters(spec)
		if !ok {
			return
		}
		args := map[string]string{}
		for _, line := range strings.Split(given, "\n") {
			if name, value, ok := strings.Cut(line, "="); ok {
				args[name] = value
			}
		}
		var unknown, missing []string
		for name := range args {
			if !slices.ContainsFunc(params, func(p rpav1alpha1.Parameter) bool { return p.Name == name }) {
				unknown = append(unknown, name)
			}
		}
		for _, p := range params {
			if _, given := args[p.Name]; p.Required && !given {
				missing = append(missing, p.Name)
			}
		}
		slices.Sort(unknown)

		resolved, err := ResolveArguments(params, args)
		if len(unknown) > 0 || len(missing) > 0 {
			checkRefusal(t, err, unknown, missing)
			return
		}
		if err != nil {
			t.Fatalf("ResolveArguments(%v, %v): %v", params, args, err)
		}
		checkResolved(t, params, args, resolved)
	})
}

// parseParameters reads the fuzzer's parameters; false when the CRD would
// refuse them.
func parseParameters(spec string) ([]rpav1alpha1.Parameter, bool) {
	var params []rpav1alpha1.Parameter
	seen := map[string]bool{}
	for _, line := range strings.Split(spec, "\n") {
		if line == "" {
			continue
		}
		var p rpav1alpha1.Parameter
		switch name, def, hasDefault := strings.Cut(line, "="); {
		case hasDefault:
			p = rpav1alpha1.Parameter{Name: name, Default: &def}
		case strings.HasSuffix(line, "!"):
			p = rpav1alpha1.Parameter{Name: strings.TrimSuffix(line, "!"), Required: true}
		default:
			p = rpav1alpha1.Parameter{Name: line}
		}
		if !parameterName.MatchString(p.Name) || len(p.Name) > 63 || seen[strings.ToUpper(p.Name)] || len(params) == 32 {
			return nil, false
		}
		seen[strings.ToUpper(p.Name)] = true
		params = append(params, p)
	}
	return params, true
}

func checkRefusal(t *testing.T, err error, unknown, missing []string) {
	t.Helper()
	var invalid *InvalidArgumentsError
	if !errors.As(err, &invalid) {
		t.Fatalf("unknown %q, missing %q: err = %v, want an *InvalidArgumentsError", unknown, missing, err)
	}
	if !slices.Equal(invalid.Unknown, unknown) || !slices.Equal(invalid.Missing, missing) {
		t.Fatalf("unknown %q, missing %q reported as %q and %q", unknown, missing, invalid.Unknown, invalid.Missing)
	}
	for _, name := range append(slices.Clone(unknown), missing...) {
		if !strings.Contains(err.Error(), name) {
			t.Fatalf("error %q does not name %q", err, name)
		}
	}
}

func checkResolved(t *testing.T, params []rpav1alpha1.Parameter, args, resolved map[string]string) {
	t.Helper()
	environ := []string{"RPA_RUN_FILE=/nonexistent/run.json"}
	for _, p := range params {
		value, given := args[p.Name]
		got, has := resolved[p.Name]
		switch {
		case given && (!has || got != value):
			t.Fatalf("argument %s = %q given, resolved %q (%v)", p.Name, value, got, has)
		case !given && p.Default != nil && (!has || got != *p.Default):
			t.Fatalf("parameter %s with default %q resolved %q (%v)", p.Name, *p.Default, got, has)
		case !given && p.Default == nil && has:
			t.Fatalf("parameter %s neither given nor defaulted resolved %q", p.Name, got)
		}
		if has {
			environ = append(environ, ArgumentEnvName(p.Name)+"="+got)
		}
	}
	if len(resolved) > len(params) {
		t.Fatalf("resolved %v has names no parameter declares", resolved)
	}
	run, err := sdk.LoadRun(environ)
	if err != nil {
		t.Fatalf("LoadRun(%q): %v", environ, err)
	}
	for _, p := range params {
		got, set := run.Args.Lookup(p.Name)
		if want := resolved[p.Name]; got != want || set != (want != "") {
			t.Fatalf("the robot reads %s = %q (set %v), the operator resolved %q", p.Name, got, set, want)
		}
	}
}
