package main

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// The robot's parameters, as robot.yaml declares them.
const (
	paramSandboxURL = "sandboxURL"
	paramSystems    = "systems"
	paramTimeout    = "timeout"
	paramSlowAfter  = "slowAfter"
)

// defaultSandboxURL is the sandbox's Service (robots/sandbox), which plays
// the systems' health endpoints here.
const defaultSandboxURL = "http://sandbox.rpa-sandbox.svc.cluster.local:8080"

var defaults = map[string]string{
	paramSandboxURL: defaultSandboxURL,
	paramSystems:    "sbsys,acadre,kmd-sag,opus,digital-post",
	paramTimeout:    "10s",
	paramSlowAfter:  "2s",
}

// credentialName is the monitoring account the robot logs in with.
const credentialName = "monitor"

// target is one system to check.
type target struct {
	name string
	url  *url.URL
}

func (t target) ref() string { return t.name }

// config is what one run works with.
type config struct {
	targets []target
	// timeout bounds one check; slowAfter marks an answer as slow.
	timeout, slowAfter time.Duration
	account            sdk.Account
}

// readConfig reads the run's arguments and credentials.
func readConfig(run *sdk.Run) (config, error) {
	args := run.Args.WithDefaults(defaults)
	base, err := args.URL(paramSandboxURL)
	if err != nil {
		return config{}, err
	}
	entries, err := args.List(paramSystems)
	if err != nil {
		return config{}, err
	}
	var c config
	for _, e := range entries {
		t, err := parseTarget(e, base)
		if err != nil {
			return config{}, &sdk.ArgumentError{Name: paramSystems, Value: e, Err: err}
		}
		c.targets = append(c.targets, t)
	}
	if c.timeout, err = args.Duration(paramTimeout); err != nil {
		return config{}, err
	}
	if c.slowAfter, err = args.Duration(paramSlowAfter); err != nil {
		return config{}, err
	}
	if c.account, err = run.Credentials.Account(credentialName); err != nil {
		return config{}, fmt.Errorf("log in to the monitored systems: %w", err)
	}
	return c, nil
}

// parseTarget reads "name", checked at <base>/systems/<name>/health, or
// "name=https://host/path", checked at that URL.
func parseTarget(entry string, base *url.URL) (target, error) {
	name, raw, hasURL := strings.Cut(entry, "=")
	name = strings.TrimSpace(name)
	if name == "" {
		return target{}, errors.New("an entry without a system name")
	}
	if !hasURL {
		return target{name: name, url: base.JoinPath("systems", name, "health")}, nil
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return target{}, fmt.Errorf("system %s: %q is not an http:// or https:// URL", name, raw)
	}
	return target{name: name, url: u}, nil
}
