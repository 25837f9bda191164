package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// config is what the robot was asked to do, from its environment.
type config struct {
	mode            string
	items           int
	sleep           time.Duration
	businessExit    int
	runName         string
	robot           string
	trigger         string
	runFile         string
	credentialsDir  string
	terminationPath string
	env             []string
	problems        []string
}

// configFromEnv reads the contract's environment variables through getenv.
func configFromEnv(getenv func(string) string) config {
	c := config{
		mode:            or(getenv("RPA_ARG_MODE"), "succeed"),
		runName:         getenv("RPA_RUN_NAME"),
		robot:           getenv("RPA_ROBOT_NAME"),
		trigger:         getenv("RPA_TRIGGER"),
		runFile:         or(getenv("RPA_RUN_FILE"), "/var/run/rpa/run.json"),
		credentialsDir:  or(getenv("RPA_CREDENTIALS_DIR"), "/var/run/rpa/credentials"),
		terminationPath: or(getenv("RPA_TERMINATION_LOG"), sdk.TerminationMessagePath),
	}
	c.items = c.intArg(getenv("RPA_ARG_ITEMS"), "items", 3)
	c.businessExit = c.intArg(getenv("RPA_BUSINESS_EXCEPTION_EXIT_CODE"), "business exception exit code", 3)
	if s := getenv("RPA_ARG_SLEEP"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			c.problems = append(c.problems, fmt.Sprintf("argument sleep %q is not a duration", s))
		}
		c.sleep = d
	}
	return c
}

func (c *config) intArg(value, what string, def int) int {
	if value == "" {
		return def
	}
	n, err := strconv.Atoi(value)
	if err != nil || n < 0 {
		c.problems = append(c.problems, fmt.Sprintf("%s %q is not a whole number", what, value))
		return def
	}
	return n
}

func or(value, def string) string {
	if value == "" {
		return def
	}
	return value
}
