package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// property is a property that must separate its sewer, with its ESDH
// case. The owner's name is personal data: the robot logs ids only.
type property struct {
	ID         string `json:"id"`
	Address    string `json:"address"`
	CaseNumber string `json:"caseNumber"`
	Separated  bool   `json:"separated"`
	Owner      struct {
		ID               string `json:"id"`
		AddressProtected bool   `json:"addressProtected"`
	} `json:"owner"`
	Varsel *sentLetter `json:"varsel"`
	Paabud *sentLetter `json:"paabud"`
}

// sentLetter is a varsel or påbud the property has had.
type sentLetter struct {
	// LetterID is empty for a letter sent on paper before the robot.
	LetterID string `json:"letterId"`
	Sent     string `json:"sent"`
	AnswerBy string `json:"answerBy"`
	// JournalID is set once the letter is journaled in the case.
	JournalID string `json:"journalId"`
}

// sent returns the property's letter of step, or nil.
func (p property) sent(step string) *sentLetter {
	if step == stepVarsel {
		return p.Varsel
	}
	return p.Paabud
}

// letter is a Digital Post letter about a property, to its owner.
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

// journalEntry journals a sent letter in the property's case.
type journalEntry struct {
	Document       reference `json:"document"`
	CaseNumber     string    `json:"caseNumber"`
	Title          string    `json:"title"`
	Classification string    `json:"classification"`
}

// systems are the properties' register, Digital Post and ESDH, reached
// through the sandbox here, each with Paula's account for it.
type systems struct {
	post, esdh *sdk.Client
}

func newSystems(c config, log *slog.Logger, sleep func(context.Context, time.Duration) error) systems {
	client := func(account sdk.Account) *sdk.Client {
		return &sdk.Client{BaseURL: c.systemsURL, Account: &account, UserAgent: "paula", Log: log, Sleep: sleep}
	}
	return systems{post: client(c.digitalPost), esdh: client(c.journal)}
}

// property reads a property as it is now.
func (s systems) property(ctx context.Context, id string) (property, error) {
	var p property
	if err := s.esdh.Get(ctx, "/sewer/properties/"+url.PathEscape(id), nil, &p); err != nil {
		return property{}, fmt.Errorf("read property %s: %w", id, err)
	}
	return p, nil
}

// send sends a letter under key and returns its id.
func (s systems) send(ctx context.Context, key string, l letter) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	if err := s.post.Post(ctx, "/digital-post/letters", key, l, &out); err != nil {
		return "", fmt.Errorf("send the %s about %s: %w", l.Template, l.About.ID, err)
	}
	return out.ID, nil
}

// journal journals an entry under key, waiting as long as ESDH asks when
// it answers 429, and returns the entry's id.
func (s systems) journal(ctx context.Context, key string, e journalEntry) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	if err := s.esdh.Post(ctx, "/esdh/journal", key, e, &out); err != nil {
		return "", fmt.Errorf("journal letter %s in case %s: %w", e.Document.ID, e.CaseNumber, err)
	}
	return out.ID, nil
}
