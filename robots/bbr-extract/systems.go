package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// oilTank is a BBR unit with an outdated oil tank, as far as the extract
// reads it. The owner's name and address stay in BBR: the item carries
// ids only.
type oilTank struct {
	UnitID string `json:"unitId"`
	Owner  struct {
		ID string `json:"id"`
	} `json:"owner"`
}

func (t oilTank) ref() string { return t.UnitID }

// itemPayload is what Olli gets for one unit; it reads the rest from BBR
// when it sends the letter, so that a change since the extract counts.
type itemPayload struct {
	UnitID  string `json:"unitId"`
	OwnerID string `json:"ownerId"`
}

// bbr is the building register, reached through the sandbox here.
type bbr struct {
	client *sdk.Client
}

func newBBR(c config, log *slog.Logger, sleep func(context.Context, time.Duration) error) bbr {
	account := c.account
	return bbr{client: &sdk.Client{
		BaseURL:   c.systemsURL,
		Account:   &account,
		UserAgent: "bbr-extract",
		Log:       log,
		Sleep:     sleep,
	}}
}

// unreminded lists the units with outdated oil tanks whose owner has had
// no reminder yet.
func (b bbr) unreminded(ctx context.Context) ([]oilTank, error) {
	var out struct {
		OilTanks []oilTank `json:"oilTanks"`
	}
	if err := b.client.Get(ctx, "/bbr/oil-tanks", url.Values{"reminded": {"false"}}, &out); err != nil {
		return nil, fmt.Errorf("list outdated oil tanks in BBR: %w", err)
	}
	return out.OilTanks, nil
}
