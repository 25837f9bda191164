package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// certificate is a received criminal-record certificate. Names and
// offences are sensitive personal data: the robot passes them on and never
// logs them; logs carry the certificate's id.
type certificate struct {
	ID         string   `json:"id"`
	EmployeeID string   `json:"employeeId"`
	Name       string   `json:"name"`
	Position   string   `json:"position"`
	Kind       string   `json:"kind"`
	Received   string   `json:"received"`
	Offences   []string `json:"offences"`
	// JournalID is set once the certificate is journaled, FlaggedForHR
	// once HR has its task: a rerun skips the steps already done.
	JournalID    string `json:"journalId"`
	FlaggedForHR bool   `json:"flaggedForHR"`
}

func (c certificate) ref() string { return c.ID }

// journalEntry is a document journaled in ESDH.
type journalEntry struct {
	CertificateID  string `json:"certificateId"`
	CaseNumber     string `json:"caseNumber"`
	Title          string `json:"title"`
	Classification string `json:"classification"`
}

// key makes journaling safe to repeat: one entry per certificate.
func (j journalEntry) key() string { return j.CertificateID }

// task hands a certificate to HR.
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

// key makes flagging safe to repeat: one HR task per certificate.
func (t task) key() string { return t.Reference.Kind + "/" + t.Reference.ID }

// systems are the certificate mailbox, ESDH and HR's task queue, all
// reached through the sandbox here.
type systems struct {
	client *sdk.Client
}

func newSystems(c config, log *slog.Logger, sleep func(context.Context, time.Duration) error) systems {
	account := c.account
	return systems{client: &sdk.Client{
		BaseURL:   c.systemsURL,
		Account:   &account,
		UserAgent: "certificate-journal",
		Log:       log,
		Sleep:     sleep,
	}}
}

// pending lists the certificates not yet done: not journaled, or not clean
// and not yet flagged for HR.
func (s systems) pending(ctx context.Context) ([]certificate, error) {
	var out struct {
		Certificates []certificate `json:"certificates"`
	}
	if err := s.client.Get(ctx, "/certificates", url.Values{"status": {"pending"}}, &out); err != nil {
		return nil, fmt.Errorf("list pending certificates: %w", err)
	}
	return out.Certificates, nil
}

// certificate reads one certificate from the mailbox.
func (s systems) certificate(ctx context.Context, id string) (certificate, error) {
	var c certificate
	if err := s.client.Get(ctx, "/certificates/"+url.PathEscape(id), nil, &c); err != nil {
		return certificate{}, fmt.Errorf("read certificate %s: %w", id, err)
	}
	return c, nil
}

// journal journals an entry in ESDH, waiting as long as ESDH asks when it
// answers 429.
func (s systems) journal(ctx context.Context, e journalEntry) error {
	if err := s.client.Post(ctx, "/esdh/journal", e.key(), e, nil); err != nil {
		return fmt.Errorf("journal certificate %s in case %s: %w", e.CertificateID, e.CaseNumber, err)
	}
	return nil
}

// flag creates HR's task.
func (s systems) flag(ctx context.Context, t task) error {
	if err := s.client.Post(ctx, "/tasks", t.key(), t, nil); err != nil {
		return fmt.Errorf("flag certificate %s for %s: %w", t.Reference.ID, t.Queue, err)
	}
	return nil
}
