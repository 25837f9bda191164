package jobs

import (
	"fmt"
	"sort"
	"strings"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// InvalidArgumentsError says why a run's arguments do not fit its robot's
// parameters, in words a person can act on.
type InvalidArgumentsError struct {
	Unknown []string
	Missing []string
	Allowed []string
}

func (e *InvalidArgumentsError) Error() string {
	var parts []string
	if len(e.Unknown) > 0 {
		allowed := "none"
		if len(e.Allowed) > 0 {
			allowed = strings.Join(e.Allowed, ", ")
		}
		parts = append(parts, fmt.Sprintf("unknown argument(s) %s (the robot's parameters: %s)",
			strings.Join(e.Unknown, ", "), allowed))
	}
	if len(e.Missing) > 0 {
		parts = append(parts, fmt.Sprintf("missing required argument(s) %s", strings.Join(e.Missing, ", ")))
	}
	return strings.Join(parts, "; ")
}

// ResolveArguments merges a run's arguments over the robot's parameter
// defaults. Every argument must name a parameter, and every required
// parameter must be given; otherwise it returns an *InvalidArgumentsError.
func ResolveArguments(params []rpav1alpha1.Parameter, args map[string]string) (map[string]string, error) {
	resolved := make(map[string]string, len(params))
	known := make(map[string]bool, len(params))
	invalid := &InvalidArgumentsError{}
	for _, p := range params {
		known[p.Name] = true
		invalid.Allowed = append(invalid.Allowed, p.Name)
		switch value, given := args[p.Name]; {
		case given:
			resolved[p.Name] = value
		case p.Default != nil:
			resolved[p.Name] = *p.Default
		case p.Required:
			invalid.Missing = append(invalid.Missing, p.Name)
		}
	}
	for name := range args {
		if !known[name] {
			invalid.Unknown = append(invalid.Unknown, name)
		}
	}
	if len(invalid.Unknown) > 0 || len(invalid.Missing) > 0 {
		sort.Strings(invalid.Unknown)
		return nil, invalid
	}
	return resolved, nil
}

// ArgumentEnvName is the environment variable that carries an argument.
func ArgumentEnvName(parameter string) string {
	return "RPA_ARG_" + strings.ToUpper(parameter)
}

// CredentialEnvPrefix is the prefix of the environment variables that carry
// a credential's keys when the credential has env: true.
func CredentialEnvPrefix(credential string) string {
	return "RPA_CREDENTIAL_" + strings.ToUpper(strings.ReplaceAll(credential, "-", "_")) + "_"
}
