package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// oilTank is a BBR unit with an outdated oil tank. The owner's name and
// address are personal data: the robot passes them on and logs ids only.
type oilTank struct {
	UnitID       string `json:"unitId"`
	Address      string `json:"address"`
	Tank         string `json:"tank"`
	VolumeLitres int    `json:"volumeLitres"`
	Installed    int    `json:"installed"`
	Owner        owner  `json:"owner"`
}

type owner struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	AddressProtected bool   `json:"addressProtected"`
}

// letter is a Digital Post letter about a unit, to its owner.
type letter struct {
	RecipientID string    `json:"recipientId"`
	About       reference `json:"about"`
	Template    string    `json:"template"`
	Subject     string    `json:"subject"`
}

type reference struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// key makes sending safe to repeat: one reminder per unit and owner, so
// an item taken again after a kill sends nothing twice; Digital Post
// answers the repeat from its ledger.
func (l letter) key() string { return "olietank/" + l.About.ID + "/" + l.RecipientID }

// sent is Digital Post's answer.
type sent struct {
	ID string `json:"id"`
}

// systems are BBR and Digital Post, reached through the sandbox here.
type systems struct {
	client *sdk.Client
}

func newSystems(c config, log *slog.Logger, sleep func(context.Context, time.Duration) error) systems {
	account := c.account
	return systems{client: &sdk.Client{
		BaseURL:   c.systemsURL,
		Account:   &account,
		UserAgent: "olli",
		Log:       log,
		Sleep:     sleep,
	}}
}

// unit reads a unit from BBR as it is now.
func (s systems) unit(ctx context.Context, id string) (oilTank, error) {
	var t oilTank
	if err := s.client.Get(ctx, "/bbr/oil-tanks/"+url.PathEscape(id), nil, &t); err != nil {
		return oilTank{}, fmt.Errorf("read BBR unit %s: %w", id, err)
	}
	return t, nil
}

// send sends a letter through Digital Post and returns its id.
func (s systems) send(ctx context.Context, l letter) (string, error) {
	var out sent
	if err := s.client.Post(ctx, "/digital-post/letters", l.key(), l, &out); err != nil {
		return "", fmt.Errorf("send the reminder about unit %s: %w", l.About.ID, err)
	}
	return out.ID, nil
}
