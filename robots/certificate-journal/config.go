package main

import (
	"fmt"
	"net/url"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// The robot's parameters, as robot.yaml declares them.
const paramSandboxURL = "sandboxURL"

// defaultSandboxURL is the sandbox's Service (robots/sandbox), where a
// real deployment would point at ESDH and the certificate mailbox.
const defaultSandboxURL = "http://sandbox.rpa-sandbox.svc.cluster.local:8080"

var defaults = map[string]string{paramSandboxURL: defaultSandboxURL}

// credentialName is the robot's own ESDH account: journal entries show it
// as their author, so HR can tell the robot's work from a person's.
const credentialName = "esdh"

// config is what one run works with.
type config struct {
	systemsURL *url.URL
	account    sdk.Account
}

// readConfig reads the run's arguments and credentials.
func readConfig(run *sdk.Run) (config, error) {
	args := run.Args.WithDefaults(defaults)
	u, err := args.URL(paramSandboxURL)
	if err != nil {
		return config{}, err
	}
	account, err := run.Credentials.Account(credentialName)
	if err != nil {
		return config{}, fmt.Errorf("log in to ESDH: %w", err)
	}
	return config{systemsURL: u, account: account}, nil
}
