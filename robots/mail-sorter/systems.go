package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// esdh is Herning's case system, reached through the sandbox here.
type esdh struct {
	client *sdk.Client
}

func newESDH(c config, log *slog.Logger, sleep func(context.Context, time.Duration) error) esdh {
	account := c.esdh
	return esdh{client: &sdk.Client{
		BaseURL:   c.esdhURL,
		Account:   &account,
		UserAgent: "mail-sorter",
		Log:       log,
		Sleep:     sleep,
	}}
}

// openCases are the person's open cases.
func (e esdh) openCases(ctx context.Context, cpr string) ([]openCase, error) {
	var out struct {
		Cases []openCase `json:"cases"`
	}
	if err := e.client.Get(ctx, "/esdh/cases", url.Values{"cpr": {cpr}, "status": {"open"}}, &out); err != nil {
		// The error names the path, never the query: the CPR number stays out of logs.
		return nil, fmt.Errorf("look up the person's cases: %w", err)
	}
	return out.Cases, nil
}

// journalEntry journals a mail on a case.
type journalEntry struct {
	CaseNumber string    `json:"caseNumber"`
	Title      string    `json:"title"`
	Document   reference `json:"document"`
}

type reference struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// journaled is ESDH's answer.
type journaled struct {
	ID string `json:"id"`
}

// journal journals the mail, keyed by its Message-ID: a repeat after a
// kill or a lost answer is answered with the first entry.
func (e esdh) journal(ctx context.Context, messageID, caseNumber, subject string) (string, error) {
	entry := journalEntry{CaseNumber: caseNumber, Title: journalTitle(subject), Document: reference{Kind: "mail", ID: messageID}}
	var out journaled
	if err := e.client.Post(ctx, "/esdh/journal", "mail/"+messageID, entry, &out); err != nil {
		return "", fmt.Errorf("journal the mail on case %s: %w", caseNumber, err)
	}
	return out.ID, nil
}

// journalTitle is the entry's title: the mail's subject, as a caseworker
// would file it.
func journalTitle(subject string) string {
	if subject == "" {
		return "Mail uden emne"
	}
	return "Mail: " + subject
}
