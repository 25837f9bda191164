package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"
)

// DefaultRunFile is where the operator mounts the run's description.
const DefaultRunFile = "/var/run/rpa/run.json"

// Run is one run of a robot as the operator describes it: the RPA_*
// environment variables, completed by the run file.
type Run struct {
	// Name is the RobotRun's name (RPA_RUN_NAME); every log line carries it.
	Name string
	// Robot is the Robot's name (RPA_ROBOT_NAME).
	Robot string
	// Namespace is the run's namespace (RPA_NAMESPACE).
	Namespace string
	// Trigger says what started the run.
	Trigger Trigger
	// Args are the arguments after the Robot's defaults.
	Args Arguments
	// Credentials are the mounted credential Secrets.
	Credentials Credentials
	// BusinessExceptionExitCode is the exit code for a business exception
	// (RPA_BUSINESS_EXCEPTION_EXIT_CODE).
	BusinessExceptionExitCode int
	// TerminationLog is where the result is written: /dev/termination-log
	// in a pod. RPA_TERMINATION_LOG, which is not part of the contract,
	// points it elsewhere to run the robot outside a pod.
	TerminationLog string
}

// Trigger says what started a run.
type Trigger struct {
	// Type is Manual, Schedule or API.
	Type string
	// Schedule is the name of the schedule that started the run, if one did.
	Schedule string
	// ScheduledTime is the time the schedule fired; zero for other runs.
	ScheduledTime time.Time
}

// Time is the instant the run is for: the scheduled time of a scheduled run,
// even when it starts late, otherwise now. A daily robot that asks "which
// day am I doing?" should use it rather than the clock.
func (t Trigger) Time(now time.Time) time.Time {
	if t.ScheduledTime.IsZero() {
		return now
	}
	return t.ScheduledTime
}

// runFile is /var/run/rpa/run.json; controllers/jobs.RunFile writes it.
type runFile struct {
	RunName   string `json:"runName"`
	Namespace string `json:"namespace"`
	Robot     string `json:"robot"`
	Trigger   struct {
		Type          string `json:"type"`
		Schedule      string `json:"schedule"`
		ScheduledTime string `json:"scheduledTime"`
	} `json:"trigger"`
	Arguments map[string]string `json:"arguments"`
}

// LoadRun reads the run from environ, a list of NAME=value as os.Environ
// returns it, and from the run file it names. Outside a pod there is no run
// file, which is fine: the variables are enough. A run file that is there
// but cannot be read is an error, as is a business exception code that is
// not a number from 1 to 255.
func LoadRun(environ []string) (*Run, error) {
	env := map[string]string{}
	args := map[string]string{}
	credentialEnv := map[string]string{}
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, CredentialEnvPrefix):
			credentialEnv[name] = value
		case strings.HasPrefix(name, ArgumentEnvPrefix):
			args[strings.TrimPrefix(name, ArgumentEnvPrefix)] = value
		default:
			env[name] = value
		}
	}
	run := &Run{
		Name:           env["RPA_RUN_NAME"],
		Robot:          env["RPA_ROBOT_NAME"],
		Namespace:      env["RPA_NAMESPACE"],
		Trigger:        Trigger{Type: env["RPA_TRIGGER"]},
		Credentials:    Credentials{Dir: orDefault(env["RPA_CREDENTIALS_DIR"], DefaultCredentialsDir), env: credentialEnv},
		TerminationLog: orDefault(env["RPA_TERMINATION_LOG"], TerminationMessagePath),
	}
	code, err := businessExitCode(env["RPA_BUSINESS_EXCEPTION_EXIT_CODE"])
	if err != nil {
		return nil, err
	}
	run.BusinessExceptionExitCode = code
	if t := env["RPA_SCHEDULED_TIME"]; t != "" {
		if run.Trigger.ScheduledTime, err = time.Parse(time.RFC3339, t); err != nil {
			return nil, fmt.Errorf("read RPA_SCHEDULED_TIME %q: %w", t, err)
		}
	}
	file, err := readRunFile(orDefault(env["RPA_RUN_FILE"], DefaultRunFile))
	if err != nil {
		return nil, err
	}
	if file != nil {
		if err := run.complete(file, args); err != nil {
			return nil, err
		}
	}
	run.Args = NewArguments(args)
	return run, nil
}

// complete fills what the variables left out from the run file. The
// variables win: they are what the container was started with.
func (r *Run) complete(f *runFile, args map[string]string) error {
	r.Name = orDefault(r.Name, f.RunName)
	r.Robot = orDefault(r.Robot, f.Robot)
	r.Namespace = orDefault(r.Namespace, f.Namespace)
	r.Trigger.Type = orDefault(r.Trigger.Type, f.Trigger.Type)
	r.Trigger.Schedule = f.Trigger.Schedule
	if r.Trigger.ScheduledTime.IsZero() && f.Trigger.ScheduledTime != "" {
		t, err := time.Parse(time.RFC3339, f.Trigger.ScheduledTime)
		if err != nil {
			return fmt.Errorf("read the run file's scheduledTime %q: %w", f.Trigger.ScheduledTime, err)
		}
		r.Trigger.ScheduledTime = t
	}
	for name, v := range f.Arguments {
		if _, set := args[strings.ToUpper(name)]; !set {
			args[strings.ToUpper(name)] = v
		}
	}
	return nil
}

// readRunFile parses the run file; nil when there is none.
func readRunFile(path string) (*runFile, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read run file: %w", err)
	}
	var f runFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parse run file %s: %w", path, err)
	}
	return &f, nil
}

// businessExitCode parses RPA_BUSINESS_EXCEPTION_EXIT_CODE; unset means the
// Robot's default.
func businessExitCode(v string) (int, error) {
	if v == "" {
		return DefaultBusinessExceptionExitCode, nil
	}
	code, err := strconv.Atoi(v)
	if err != nil || code < 1 || code > 255 {
		return 0, fmt.Errorf("read RPA_BUSINESS_EXCEPTION_EXIT_CODE: %q is not an exit code from 1 to 255", v)
	}
	return code, nil
}

func orDefault(value, def string) string {
	if value == "" {
		return def
	}
	return value
}
