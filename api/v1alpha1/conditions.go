package v1alpha1

// Condition types.
const (
	// ConditionReady on a Robot says whether its runs can start.
	ConditionReady = "Ready"
	// ConditionSucceeded on a RobotRun is Unknown while the run is going,
	// then True or False for good.
	ConditionSucceeded = "Succeeded"
)

// Condition reasons. Each is also the reason of the Event emitted with it, so
// a person can find the one from the other.
const (
	// ReasonReady: the Robot's template is valid and its credentials exist.
	ReasonReady = "Ready"
	// ReasonCredentialsNotFound: a credential Secret does not exist.
	ReasonCredentialsNotFound = "CredentialsNotFound"
)
