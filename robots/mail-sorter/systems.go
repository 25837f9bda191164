package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
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
		// Only the status: ESDH's answer may quote the CPR number, and
		// this error reaches the log and the item's reason.
		if status := sdk.StatusOf(err); status != 0 {
			return nil, fmt.Errorf("look up the person's cases: ESDH answered %d", status)
		}
		return nil, errors.New("look up the person's cases: ESDH did not answer")
	}
	return out.Cases, nil
}

// journalEntry journals a mail on a case.
type journalEntry struct {
	CaseNumber string   `json:"caseNumber"`
	Title      string   `json:"title"`
	Document   document `json:"document"`
}

// document is what an entry journals: here a mail, by Message-ID.
type document struct {
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
	entry := journalEntry{CaseNumber: caseNumber, Title: journalTitle(subject), Document: document{Kind: "mail", ID: messageID}}
	var out journaled
	err := e.client.Post(ctx, "/esdh/journal", "mail/"+messageID, entry, &out)
	if status := sdk.StatusOf(err); status == http.StatusNotFound || status == http.StatusUnprocessableEntity {
		// ESDH will not take it, however often asked (the case is gone,
		// or it has another entry under this key): a person journals it.
		return "", sdk.BusinessExceptionf("ESDH refused the journal entry on case %s (%d): journal the mail by hand", caseNumber, status)
	}
	if err != nil {
		return "", fmt.Errorf("journal the mail on case %s: %w", caseNumber, err)
	}
	return out.ID, nil
}

// maxTitleRunes bounds an entry's title, as ESDH's title field is.
const maxTitleRunes = 200

// journalTitle is the entry's title: the mail's subject, as a caseworker
// would file it.
func journalTitle(subject string) string {
	if subject == "" {
		return "Mail uden emne"
	}
	return runes("Mail: "+subject, maxTitleRunes)
}
