package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// citizen is a foreign citizen as CPR gives it.
type citizen struct {
	ID            string `json:"id"`
	Nationality   string `json:"nationality"`
	EUCitizen     bool   `json:"euCitizen"`
	PermitExpires string `json:"permitExpires"`
	MailReturned  bool   `json:"mailReturned"`
}

func (c citizen) ref() string { return c.ID }

// check is the recorded outcome of one citizen's check in a batch.
type check struct {
	Batch     string `json:"batch"`
	CitizenID string `json:"citizenId"`
	Outcome   string `json:"outcome"`
	Reason    string `json:"reason,omitempty"`
}

// key makes recording safe to repeat: one check per citizen per batch.
func (c check) key() string { return c.Batch + "/" + c.CitizenID }

// task opens a case for a caseworker.
type task struct {
	Queue     string    `json:"queue"`
	Title     string    `json:"title"`
	Reason    string    `json:"reason"`
	Reference reference `json:"reference"`
	// batch is part of the key, not of the request: a citizen may need a
	// case in more than one quarter.
	batch string
}

type reference struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// key makes opening a case safe to repeat: one case per citizen per batch.
func (t task) key() string { return "residence-check/" + t.batch + "/" + t.Reference.ID }

// systems are CPR and the caseworkers' task queue, reached through the
// sandbox here.
type systems struct {
	client *sdk.Client
}

func newSystems(c config, log *slog.Logger, sleep func(context.Context, time.Duration) error) systems {
	account := c.account
	return systems{client: &sdk.Client{
		BaseURL:   c.systemsURL,
		Account:   &account,
		UserAgent: "residence-check",
		Log:       log,
		Sleep:     sleep,
	}}
}

// unchecked lists the foreign citizens that batch has not checked yet: a
// rerun of the batch continues where the last one stopped.
func (s systems) unchecked(ctx context.Context, batch string) ([]citizen, error) {
	var out struct {
		Citizens []citizen `json:"citizens"`
	}
	query := url.Values{"batch": {batch}, "status": {"unchecked"}}
	if err := s.client.Get(ctx, "/cpr/foreign-citizens", query, &out); err != nil {
		return nil, fmt.Errorf("list foreign citizens not checked in %s: %w", batch, err)
	}
	return out.Citizens, nil
}

// record records a check in CPR.
func (s systems) record(ctx context.Context, c check) error {
	if err := s.client.Post(ctx, "/cpr/residence-checks", c.key(), c, nil); err != nil {
		return fmt.Errorf("record the check of %s in %s: %w", c.CitizenID, c.Batch, err)
	}
	return nil
}

// openCase creates a caseworker's task.
func (s systems) openCase(ctx context.Context, t task) error {
	if err := s.client.Post(ctx, "/tasks", t.key(), t, nil); err != nil {
		return fmt.Errorf("open a case on %s: %w", t.Reference.ID, err)
	}
	return nil
}
