package main

import (
	"fmt"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// The robot's parameters, as robot.yaml declares them.
const (
	paramIMAPAddress = "imapAddress"
	paramIMAPTLS     = "imapTLS"
	paramQueue       = "queue"
)

// The sandbox's mailbox (robots/sandbox), where Herning would name its
// Exchange server and IMAPS.
var defaults = map[string]string{
	paramIMAPAddress: "sandbox.rpa-sandbox.svc.cluster.local:143",
	paramIMAPTLS:     "false",
	paramQueue:       "incoming-mail",
}

// credentialName is the mailbox's login (keys username and password).
const credentialName = "mailbox"

// config is what one run works with.
type config struct {
	imapAddress string
	imapTLS     bool
	queue       string
	account     sdk.Account
}

// readConfig reads the run's arguments and credentials.
func readConfig(run *sdk.Run) (config, error) {
	args := run.Args.WithDefaults(defaults)
	var c config
	var err error
	if c.imapAddress, err = args.String(paramIMAPAddress); err != nil {
		return config{}, err
	}
	if c.imapTLS, err = args.Bool(paramIMAPTLS); err != nil {
		return config{}, err
	}
	if c.queue, err = args.String(paramQueue); err != nil {
		return config{}, err
	}
	if c.account, err = run.Credentials.Account(credentialName); err != nil {
		return config{}, fmt.Errorf("log in to the mailbox: %w", err)
	}
	return c, nil
}
