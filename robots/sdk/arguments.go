package sdk

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ArgumentEnvPrefix starts the environment variable of each argument:
// RPA_ARG_<NAME>, the parameter's name upper-cased.
const ArgumentEnvPrefix = "RPA_ARG_"

// ErrMissing is wrapped by the errors for an argument that is not set and a
// credential or key that is not there.
var ErrMissing = errors.New("not set")

// Arguments are a run's arguments after the Robot's defaults. Names are
// matched ignoring case, as the operator does: parameter "sandboxURL"
// arrives as RPA_ARG_SANDBOXURL.
//
// An argument that is absent or empty counts as not set: a Robot can only
// say "no value" with default "", and a robot that treats "" as a value
// would be reading a default nobody chose.
type Arguments struct {
	// values by upper-cased name.
	values map[string]string
}

// NewArguments returns arguments with the given values, for tests and
// robots run by hand.
func NewArguments(values map[string]string) Arguments {
	a := Arguments{values: map[string]string{}}
	for name, v := range values {
		a.values[strings.ToUpper(name)] = v
	}
	return a
}

// WithDefaults returns a copy in which every name of defaults that is not
// set has its default. Give it the defaults of the Robot's parameters, so
// that the robot behaves the same run by hand as in a pod.
func (a Arguments) WithDefaults(defaults map[string]string) Arguments {
	out := Arguments{values: maps.Clone(a.values)}
	if out.values == nil {
		out.values = map[string]string{}
	}
	for name, v := range defaults {
		if _, set := out.Lookup(name); !set {
			out.values[strings.ToUpper(name)] = v
		}
	}
	return out
}

// Lookup returns the argument's value and whether it is set.
func (a Arguments) Lookup(name string) (string, bool) {
	v := a.values[strings.ToUpper(name)]
	return v, v != ""
}

// All returns every argument by upper-cased name, for logging: arguments
// are part of the RobotRun's spec, which is not secret.
func (a Arguments) All() map[string]string { return maps.Clone(a.values) }

// Names returns the upper-cased names of the arguments that are set, sorted.
func (a Arguments) Names() []string {
	var names []string
	for name, v := range a.values {
		if v != "" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// String returns the argument's value.
func (a Arguments) String(name string) (string, error) {
	return parse(a, name, func(v string) (string, error) { return v, nil })
}

// Int returns the argument as a whole number, such as "40".
func (a Arguments) Int(name string) (int, error) {
	return parse(a, name, func(v string) (int, error) {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, errors.New("not a whole number")
		}
		return n, nil
	})
}

// Bool returns the argument as true or false ("true", "false", "1", "0").
func (a Arguments) Bool(name string) (bool, error) {
	return parse(a, name, func(v string) (bool, error) {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, errors.New("not true or false")
		}
		return b, nil
	})
}

// Duration returns the argument as a Go duration, such as "90s" or "5m".
func (a Arguments) Duration(name string) (time.Duration, error) {
	return parse(a, name, func(v string) (time.Duration, error) {
		d, err := time.ParseDuration(v)
		if err != nil {
			return 0, errors.New("not a duration such as 90s or 5m")
		}
		return d, nil
	})
}

// URL returns the argument as an absolute http or https URL.
func (a Arguments) URL(name string) (*url.URL, error) {
	return parse(a, name, func(v string) (*url.URL, error) {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !readsBack(u) {
			return nil, errors.New("not an http:// or https:// URL")
		}
		return u, nil
	})
}

// readsBack reports whether u's own form parses again: net/url takes raw
// non-ASCII bytes in an IPv6 zone ("[::%25\x8b]") but escapes them into a
// form it then refuses, so a robot would fail later, on a request.
func readsBack(u *url.URL) bool {
	_, err := url.Parse(u.String())
	return err == nil
}

// List returns the argument as a comma-separated list, each entry trimmed
// of spaces; empty entries are dropped.
func (a Arguments) List(name string) ([]string, error) {
	return parse(a, name, func(v string) ([]string, error) {
		var list []string
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				list = append(list, e)
			}
		}
		if len(list) == 0 {
			return nil, errors.New("an empty list")
		}
		return list, nil
	})
}

// parse looks the argument up and converts it, wrapping any problem in an
// *ArgumentError that names the argument and its variable.
func parse[T any](a Arguments, name string, convert func(string) (T, error)) (T, error) {
	var zero T
	v, ok := a.Lookup(name)
	if !ok {
		return zero, &ArgumentError{Name: name, Err: ErrMissing}
	}
	out, err := convert(v)
	if err != nil {
		return zero, &ArgumentError{Name: name, Value: v, Err: err}
	}
	return out, nil
}

// ArgumentError is an argument that is not set or cannot be understood. A
// robot that returns it from its work exits with ExitUsage.
type ArgumentError struct {
	// Name is the parameter's name as the robot asked for it.
	Name string
	// Value is what the run passed; empty when the argument is not set.
	Value string
	// Err is ErrMissing or what is wrong with Value.
	Err error
}

func (e *ArgumentError) Error() string {
	variable := ArgumentEnvPrefix + strings.ToUpper(e.Name)
	if errors.Is(e.Err, ErrMissing) {
		return fmt.Sprintf("argument %s (%s) is not set: pass it on the RobotRun or give the Robot's parameter a default", e.Name, variable)
	}
	return fmt.Sprintf("argument %s (%s) %q: %v", e.Name, variable, e.Value, e.Err)
}

func (e *ArgumentError) Unwrap() error { return e.Err }
