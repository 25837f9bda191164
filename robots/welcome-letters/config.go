package main

import (
	"fmt"
	"net/url"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// The robot's parameters (robot.yaml declares the same, with the same
// defaults, so that a run by hand behaves as one in the cluster).
const (
	paramSandboxURL   = "sandboxURL"
	paramMunicipality = "municipality"
	paramDryRun       = "dryRun"
)

// defaultSandboxURL is the sandbox's Service (robots/sandbox), where a
// real deployment would point at the municipality's systems.
const defaultSandboxURL = "http://sandbox.rpa-sandbox.svc.cluster.local:8080"

var defaults = map[string]string{
	paramSandboxURL:   defaultSandboxURL,
	paramMunicipality: "Roskilde",
	paramDryRun:       "false",
}

// credentialName is the robot's own account for CPR and Digital Post.
const credentialName = "digital-post"

// config is what one run works with.
type config struct {
	systemsURL   *url.URL
	municipality string
	// dryRun decides every letter and sends none: the test runs before
	// go-live, without posting.
	dryRun  bool
	account sdk.Account
}

// readConfig reads the run's arguments and credentials; its errors name
// what is missing, and make the robot exit with sdk.ExitUsage.
func readConfig(run *sdk.Run) (config, error) {
	args := run.Args.WithDefaults(defaults)
	var c config
	var err error
	if c.systemsURL, err = args.URL(paramSandboxURL); err != nil {
		return config{}, err
	}
	if c.municipality, err = args.String(paramMunicipality); err != nil {
		return config{}, err
	}
	if c.dryRun, err = args.Bool(paramDryRun); err != nil {
		return config{}, err
	}
	if c.account, err = run.Credentials.Account(credentialName); err != nil {
		return config{}, fmt.Errorf("log in to Digital Post: %w", err)
	}
	return c, nil
}
