package main

import (
	"fmt"
	"net/url"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// The robot's parameters, as robot.yaml declares them.
const (
	paramIMAPAddress = "imapAddress"
	paramIMAPTLS     = "imapTLS"
	paramSMTPAddress = "smtpAddress"
	paramSandboxURL  = "sandboxURL"
	paramRulesFile   = "rulesFile"
)

// The sandbox's mailbox and ESDH (robots/sandbox), where Herning would
// name Exchange and its ESDH's API; the rules from the ConfigMap that
// robot.yaml mounts.
var defaults = map[string]string{
	paramIMAPAddress: "sandbox.rpa-sandbox.svc.cluster.local:143",
	paramIMAPTLS:     "false",
	paramSMTPAddress: "sandbox.rpa-sandbox.svc.cluster.local:25",
	paramSandboxURL:  "http://sandbox.rpa-sandbox.svc.cluster.local:8080",
	paramRulesFile:   "/etc/mail-sorter/rules.yaml",
}

// The robot's credentials: the mailbox's login (its user is also the
// address it forwards from) and its own ESDH user.
const (
	credentialMailbox = "mailbox"
	credentialESDH    = "esdh"
)

// config is what one run works with.
type config struct {
	imapAddress string
	imapTLS     bool
	smtpAddress string
	esdhURL     *url.URL
	rules       Rules
	mailbox     sdk.Account
	esdh        sdk.Account
}

// readConfig reads the run's arguments, rules and credentials.
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
	if c.smtpAddress, err = args.String(paramSMTPAddress); err != nil {
		return config{}, err
	}
	if c.esdhURL, err = args.URL(paramSandboxURL); err != nil {
		return config{}, err
	}
	rulesFile, err := args.String(paramRulesFile)
	if err != nil {
		return config{}, err
	}
	if c.rules, err = readRules(rulesFile); err != nil {
		return config{}, err
	}
	if c.mailbox, err = run.Credentials.Account(credentialMailbox); err != nil {
		return config{}, fmt.Errorf("log in to the mailbox: %w", err)
	}
	if err := c.rules.forwardsNotTo(c.mailbox.Username); err != nil {
		return config{}, err
	}
	if c.esdh, err = run.Credentials.Account(credentialESDH); err != nil {
		return config{}, fmt.Errorf("log in to ESDH: %w", err)
	}
	return c, nil
}
