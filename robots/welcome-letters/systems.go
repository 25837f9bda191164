package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// moveIn is a CPR move-in event, as the register gives it.
type moveIn struct {
	ID               string `json:"id"`
	ResidentID       string `json:"residentId"`
	Name             string `json:"name"`
	Municipality     string `json:"municipality"`
	MovedIn          string `json:"movedIn"`
	HasChildren      bool   `json:"hasChildren"`
	AddressProtected bool   `json:"addressProtected"`
}

func (m moveIn) ref() string { return m.ID }

// letter is a Digital Post letter.
type letter struct {
	RecipientID string `json:"recipientId"`
	MoveInID    string `json:"moveInId"`
	Template    string `json:"template"`
	Subject     string `json:"subject"`
}

// key makes sending the letter safe to repeat: one welcome letter per
// resident per move-in, however often the robot retries or reruns.
func (l letter) key() string { return l.RecipientID + "/" + l.MoveInID }

// task hands a move-in to citizen service (borgerservice).
type task struct {
	Queue     string    `json:"queue"`
	Title     string    `json:"title"`
	Reason    string    `json:"reason"`
	Reference reference `json:"reference"`
}

type reference struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// key makes handing over safe to repeat: one task per move-in.
func (t task) key() string { return t.Reference.Kind + "/" + t.Reference.ID }

// systems are the CPR register, Digital Post and the task queue, all
// reached through the sandbox here.
type systems struct {
	client *sdk.Client
}

func newSystems(c config, log *slog.Logger, sleep func(context.Context, time.Duration) error) systems {
	account := c.account
	return systems{client: &sdk.Client{
		BaseURL:   c.systemsURL,
		Account:   &account,
		UserAgent: "welcome-letters",
		Log:       log,
		Sleep:     sleep,
	}}
}

// newMoveIns lists the move-ins into municipality that have neither a
// letter nor a task yet: a rerun picks up exactly what is left.
func (s systems) newMoveIns(ctx context.Context, municipality string) ([]moveIn, error) {
	var out struct {
		MoveIns []moveIn `json:"moveIns"`
	}
	query := url.Values{"municipality": {municipality}, "status": {"new"}}
	if err := s.client.Get(ctx, "/cpr/move-ins", query, &out); err != nil {
		return nil, fmt.Errorf("list new move-ins in %s: %w", municipality, err)
	}
	return out.MoveIns, nil
}

// send sends a letter through Digital Post.
func (s systems) send(ctx context.Context, l letter) error {
	if err := s.client.Post(ctx, "/digital-post/letters", l.key(), l, nil); err != nil {
		return fmt.Errorf("send %s letter for move-in %s: %w", l.Template, l.MoveInID, err)
	}
	return nil
}

// handOver creates a task for citizen service.
func (s systems) handOver(ctx context.Context, t task) error {
	if err := s.client.Post(ctx, "/tasks", t.key(), t, nil); err != nil {
		return fmt.Errorf("hand move-in %s to %s: %w", t.Reference.ID, t.Queue, err)
	}
	return nil
}
