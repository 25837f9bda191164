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
// real deployment would point at Digital Post and ESDH.
const defaultSandboxURL = "http://sandbox.rpa-sandbox.svc.cluster.local:8080"

var defaults = map[string]string{paramSandboxURL: defaultSandboxURL, paramQueue: "sewer-letters"}

// Paula's own accounts: letters name the Digital Post one (sentBy),
// journal entries the ESDH one (journaledBy).
const (
	credentialDigitalPost = "digital-post"
	credentialESDH        = "esdh"
)

// config is what one run works with.
type config struct {
	systemsURL *url.URL
	// queue is the WorkQueue of a run started by hand; a run the queue's
	// trigger started takes the trigger's queue.
	queue                string
	digitalPost, journal sdk.Account
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
	dp, err := run.Credentials.Account(credentialDigitalPost)
	if err != nil {
		return config{}, fmt.Errorf("log in to Digital Post: %w", err)
	}
	esdh, err := run.Credentials.Account(credentialESDH)
	if err != nil {
		return config{}, fmt.Errorf("log in to ESDH: %w", err)
	}
	return config{systemsURL: u, queue: queue, digitalPost: dp, journal: esdh}, nil
}
