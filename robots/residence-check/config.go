package main

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// The robot's parameters, as robot.yaml declares them.
const (
	paramSandboxURL = "sandboxURL"
	paramBatch      = "batch"
	paramLimit      = "limit"
)

// defaultSandboxURL is the sandbox's Service (robots/sandbox), where a
// real deployment would point at CPR and the case system.
const defaultSandboxURL = "http://sandbox.rpa-sandbox.svc.cluster.local:8080"

var defaults = map[string]string{
	paramSandboxURL: defaultSandboxURL,
	paramLimit:      "0",
}

// credentialName is the robot's CPR account.
const credentialName = "cpr"

// batchName is what a batch may be called: it becomes part of idempotency
// keys and task references.
var batchName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// config is what one run works with.
type config struct {
	systemsURL *url.URL
	// batch names the round of checks; each citizen is checked once per
	// batch.
	batch string
	// checkDate is the day permits are checked against.
	checkDate time.Time
	// limit caps the citizens checked in this run; 0 is all. Go-lives are
	// gradual: 10 cases, then 20.
	limit   int
	account sdk.Account
}

// readConfig reads the run's arguments and credentials. The batch is the
// argument, or else the quarter of the run's time in Danish time: a
// scheduled run on 1 July checks 2025-Q3 even if it starts late.
func readConfig(run *sdk.Run, now time.Time) (config, error) {
	args := run.Args.WithDefaults(defaults)
	var c config
	var err error
	if c.systemsURL, err = args.URL(paramSandboxURL); err != nil {
		return config{}, err
	}
	runTime := run.Trigger.Time(now).In(copenhagen)
	c.checkDate = time.Date(runTime.Year(), runTime.Month(), runTime.Day(), 0, 0, 0, 0, copenhagen)
	c.batch = quarterOf(runTime)
	if b, set := args.Lookup(paramBatch); set {
		if !batchName.MatchString(b) {
			return config{}, &sdk.ArgumentError{Name: paramBatch, Value: b, Err: errors.New("not a batch name (letters, digits, '.', '_', '-'; at most 64)")}
		}
		c.batch = b
	}
	if c.limit, err = args.Int(paramLimit); err != nil {
		return config{}, err
	}
	if c.limit < 0 {
		return config{}, &sdk.ArgumentError{Name: paramLimit, Value: fmt.Sprint(c.limit), Err: errors.New("negative")}
	}
	if c.account, err = run.Credentials.Account(credentialName); err != nil {
		return config{}, fmt.Errorf("log in to CPR: %w", err)
	}
	return c, nil
}

// copenhagen is the zone quarters and check dates are counted in.
var copenhagen = mustLoad("Europe/Copenhagen")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("load time zone %s: %v", name, err))
	}
	return loc
}

// quarterOf names the quarter t is in, as in "2025-Q3", in t's zone.
func quarterOf(t time.Time) string {
	return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())-1)/3+1)
}
