package jobs

import (
	"encoding/json"
	"time"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

// RunFile is the content of /var/run/rpa/run.json: everything a robot needs
// to know about the run it is, in one document (docs/robot-contract.md).
type RunFile struct {
	RunName   string            `json:"runName"`
	Namespace string            `json:"namespace"`
	Robot     string            `json:"robot"`
	Trigger   RunFileTrigger    `json:"trigger"`
	Arguments map[string]string `json:"arguments"`
}

// RunFileTrigger says what started the run.
type RunFileTrigger struct {
	Type          rpav1alpha1.TriggerType `json:"type"`
	Schedule      string                  `json:"schedule,omitempty"`
	ScheduledTime string                  `json:"scheduledTime,omitempty"`
}

// runFileJSON renders the run file for a run with resolved arguments.
func runFileJSON(run *rpav1alpha1.RobotRun, args map[string]string) (string, error) {
	file := RunFile{
		RunName:   run.Name,
		Namespace: run.Namespace,
		Robot:     run.Spec.RobotName,
		Trigger: RunFileTrigger{
			Type:     triggerType(run),
			Schedule: run.Spec.Trigger.Schedule,
		},
		Arguments: args,
	}
	if t := run.Spec.Trigger.ScheduledTime; t != nil {
		file.Trigger.ScheduledTime = t.UTC().Format(time.RFC3339)
	}
	if file.Arguments == nil {
		file.Arguments = map[string]string{}
	}
	data, err := json.Marshal(file)
	return string(data), err
}

// triggerType is the run's trigger type; Manual when unset (the CRD defaults
// it, objects built in code may not).
func triggerType(run *rpav1alpha1.RobotRun) rpav1alpha1.TriggerType {
	if run.Spec.Trigger.Type == "" {
		return rpav1alpha1.TriggerManual
	}
	return run.Spec.Trigger.Type
}
