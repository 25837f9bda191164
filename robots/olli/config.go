package main

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// The robot's parameters, as robot.yaml declares them.
const (
	paramSandboxURL = "sandboxURL"
	paramQueue      = "queue"
	paramLimit      = "limit"
)

// defaultSandboxURL is the sandbox's Service (robots/sandbox), where a
// real deployment would point at BBR and Digital Post.
const defaultSandboxURL = "http://sandbox.rpa-sandbox.svc.cluster.local:8080"

var defaults = map[string]string{paramSandboxURL: defaultSandboxURL, paramQueue: "oil-tanks", paramLimit: "40"}

// credentialName is the robot's own account, with which it reads BBR and
// sends letters: every letter names it (sentBy).
const credentialName = "digital-post"

// config is what one run works with.
type config struct {
	systemsURL *url.URL
	queue      string
	// limit is the most letters' items the run takes; 0 is every waiting.
	limit   int
	account sdk.Account
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
	limit, err := args.Int(paramLimit)
	if err == nil && limit < 0 {
		err = &sdk.ArgumentError{Name: paramLimit, Value: fmt.Sprint(limit), Err: errors.New("not 0 (every waiting item) or more")}
	}
	if err != nil {
		return config{}, err
	}
	account, err := run.Credentials.Account(credentialName)
	if err != nil {
		return config{}, fmt.Errorf("log in to Digital Post: %w", err)
	}
	return config{systemsURL: u, queue: queue, limit: limit, account: account}, nil
}
