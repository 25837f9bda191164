// Package workqueue is the model of work items: their states, which change
// whom may make from which state, and the limits on what an item carries.
// It is pure, so every rule is covered by table tests; package store keeps
// items in PostgreSQL and applies these rules in its transactions
// (docs/work-queues.md).
package workqueue

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// State is where an item is in its life.
type State string

const (
	// New items wait to be taken (again, after a system exception with
	// attempts left, once DeferUntil has passed).
	New State = "New"
	// InProgress items are held by one robot's run, for as long as its pod
	// lives.
	InProgress State = "InProgress"
	// Done items were handled by a robot.
	Done State = "Done"
	// BusinessException items need a person: the robot found something a
	// rule says people decide (a certificate with a remark).
	BusinessException State = "BusinessException"
	// Failed items ran out of attempts on system exceptions.
	Failed State = "Failed"
	// Handled items were closed by a person, with a comment.
	Handled State = "Handled"
)

// States are every state, in the order of an item's life.
var States = []State{New, InProgress, Done, BusinessException, Failed, Handled}

// Finished reports whether no robot will take the item again unless a
// person retries it. Retention deletes finished items.
func (s State) Finished() bool {
	return s == Done || s == BusinessException || s == Failed || s == Handled
}

// Action is a change someone asks for.
type Action string

const (
	// ActionTake is a robot taking the next New item.
	ActionTake Action = "Take"
	// ActionDone is the holding robot's report that it handled the item.
	ActionDone Action = "Done"
	// ActionBusinessException is the holding robot's report that people
	// must decide the item.
	ActionBusinessException Action = "BusinessException"
	// ActionSystemException is the holding robot's report that something
	// failed that a later attempt may not meet (a system was down).
	ActionSystemException Action = "SystemException"
	// ActionAbandon returns the item of a pod that stopped while holding it.
	ActionAbandon Action = "Abandon"
	// ActionRetry is a person trying an item again.
	ActionRetry Action = "Retry"
	// ActionHandle is a person closing an item by hand.
	ActionHandle Action = "Handle"
)

// ErrIllegalTransition means the action is not allowed from the item's state.
var ErrIllegalTransition = errors.New("illegal transition")

// transition is what an action does: the states it applies to, and the
// state it leads to, given the attempts made and allowed.
type transition struct {
	from []State
	to   func(attempts, maxAttempts int) State
}

func always(s State) func(int, int) State { return func(int, int) State { return s } }

// againOrFailed is New while attempts are left, else Failed.
func againOrFailed(attempts, maxAttempts int) State {
	if attempts < maxAttempts {
		return New
	}
	return Failed
}

// transitions is the state diagram of docs/work-queues.md.
var transitions = map[Action]transition{
	ActionTake:              {from: []State{New}, to: always(InProgress)},
	ActionDone:              {from: []State{InProgress}, to: always(Done)},
	ActionBusinessException: {from: []State{InProgress}, to: always(BusinessException)},
	ActionSystemException:   {from: []State{InProgress}, to: againOrFailed},
	ActionAbandon:           {from: []State{InProgress}, to: againOrFailed},
	ActionRetry:             {from: []State{BusinessException, Failed}, to: always(New)},
	ActionHandle:            {from: []State{BusinessException, Failed}, to: always(Handled)},
}

// Next returns the state an action leads to from a state. A system
// exception or an abandoned hold leads to New while attempts are left
// (attempts made so far against maxAttempts), else to Failed.
func Next(from State, action Action, attempts, maxAttempts int) (State, error) {
	t, ok := transitions[action]
	if !ok || !slices.Contains(t.from, from) {
		return "", fmt.Errorf("%w: %s is not possible for an item in state %s%s", ErrIllegalTransition, action, from, hint(from, action))
	}
	return t.to(attempts, maxAttempts), nil
}

// hint says what would be possible instead, for the error a person reads.
func hint(from State, action Action) string {
	switch {
	case (action == ActionRetry || action == ActionHandle) && !from.Finished():
		return " (only items in BusinessException or Failed wait for a person)"
	case action == ActionRetry || action == ActionHandle:
		return " (it is closed)"
	case from != InProgress && action != ActionTake:
		return " (only the robot holding an InProgress item reports its outcome)"
	}
	return ""
}

// Backoff is how long an item waits after a system exception before it may
// be taken again: 10 s, doubling per attempt, at most 10 minutes, so that
// a system that is down is not hammered by one item.
func Backoff(attempts int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < attempts && d < 10*time.Minute; i++ {
		d *= 2
	}
	return min(d, 10*time.Minute)
}

// Limits on what an item carries: payloads hold a case's data, not its
// documents (those stay in the case system, referenced from the payload).
const (
	MaxPayloadBytes   = 64 << 10
	MaxReferenceBytes = 256
	MaxReasonBytes    = 1024
	// MaxPriority bounds an item's priority either way: a few levels are
	// what people use (urgent, normal, when there is time), and a bound
	// keeps one producer from putting its items out of everyone's reach.
	MaxPriority = 1000
)

// ErrInvalidItem means an item's payload, output, reference or reason is
// not acceptable.
var ErrInvalidItem = errors.New("invalid work item")

// CheckDocument checks a payload or output: a JSON object of at most
// MaxPayloadBytes. what names it in the error ("payload", "output").
func CheckDocument(what string, doc []byte) error {
	if len(doc) > MaxPayloadBytes {
		return fmt.Errorf("%w: %s is %d bytes, more than the %d allowed; keep documents in the case system and put their reference in the item",
			ErrInvalidItem, what, len(doc), MaxPayloadBytes)
	}
	// JSON's own white space only: bytes.TrimSpace would also pass a
	// document that starts with U+2028 or a no-break space, which no JSON
	// parser (PostgreSQL's included) accepts.
	trimmed := bytes.Trim(doc, " \t\r\n")
	if !json.Valid(trimmed) {
		return fmt.Errorf("%w: %s is not valid JSON", ErrInvalidItem, what)
	}
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return fmt.Errorf("%w: %s must be a JSON object ({...})", ErrInvalidItem, what)
	}
	return nil
}

// CheckReference checks an item's reference: optional, printable, bounded.
// Printable means what Printable keeps: no C0 or C1 control character
// (U+009B is a terminal's CSI as much as ESC [ is).
func CheckReference(reference string) error {
	if len(reference) > MaxReferenceBytes {
		return fmt.Errorf("%w: reference is %d bytes, more than the %d allowed", ErrInvalidItem, len(reference), MaxReferenceBytes)
	}
	for _, r := range reference {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			return fmt.Errorf("%w: reference contains a control character", ErrInvalidItem)
		}
	}
	return nil
}

// CheckPriority checks an item's priority: -MaxPriority to MaxPriority.
func CheckPriority(priority int32) error {
	if priority < -MaxPriority || priority > MaxPriority {
		return fmt.Errorf("%w: priority %d is out of range: use %d to %d (higher is taken first)",
			ErrInvalidItem, priority, -MaxPriority, MaxPriority)
	}
	return nil
}

// CheckReason checks the reason of a business or system exception, or a
// person's comment: robot- or person-written text, bounded.
func CheckReason(reason string) error {
	if len(reason) > MaxReasonBytes {
		return fmt.Errorf("%w: reason is %d bytes, more than the %d allowed", ErrInvalidItem, len(reason), MaxReasonBytes)
	}
	return nil
}

// Printable is robot- or person-written text as it may be stored and
// shown (kubectl, the console): control characters, terminal escape
// sequences among them, become spaces.
func Printable(text string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			return ' '
		}
		return r
	}, text)
}

// ReferenceHash is what is kept of a reference once retention has deleted
// its item: enough to refuse the reference again, nothing to read back. It
// is keyed (HMAC-SHA256 with the server's reference key): a reference may be
// a CPR number, and ten billion of those are quickly hashed without a key.
func ReferenceHash(key []byte, namespace, queue, reference string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(namespace + "\x00" + queue + "\x00" + reference))
	return mac.Sum(nil)
}
