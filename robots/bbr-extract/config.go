package main

import (
	"fmt"
	"net/url"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// The robot's parameters, as robot.yaml declares them.
const (
	paramSandboxURL = "sandboxURL"
	paramQueue      = "queue"
)

// defaultSandboxURL is the sandbox's Service (robots/sandbox), where a
// real deployment would point at BBR (Datafordeleren).
const defaultSandboxURL = "http://sandbox.rpa-sandbox.svc.cluster.local:8080"

// defaultQueue is the WorkQueue Olli takes its letters from
// (robots/olli/workqueue.yaml).
const defaultQueue = "oil-tanks"

var defaults = map[string]string{paramSandboxURL: defaultSandboxURL, paramQueue: defaultQueue}

// credentialName is the robot's own BBR account: the register logs who
// read what.
const credentialName = "bbr"

// config is what one run works with.
type config struct {
	systemsURL *url.URL
	queue      string
	account    sdk.Account
}

// readConfig reads the run's arguments and credentials.
func readConfig(run *sdk.Run) (config, error) {
	args := run.Args.WithDefaults(defaults)
	u, err := args.URL(paramSandboxURL)
	if err != nil {
		return config{}, err
	}
	queue, err := args.String(paramQueue)
	if err != nil {
		return config{}, err
	}
	account, err := run.Credentials.Account(credentialName)
	if err != nil {
		return config{}, fmt.Errorf("log in to BBR: %w", err)
	}
	return config{systemsURL: u, queue: queue, account: account}, nil
}
