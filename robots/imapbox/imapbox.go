// Package imapbox is a mailbox as the mail robots see it over IMAP: the
// mails waiting in INBOX, moving one to Processed once it is handled, and
// reading one again by its Message-ID. It speaks IMAP4rev1 with MOVE
// (go-imap v2's client), which Exchange, Dovecot and the sandbox's mailbox
// all serve; its tests run against the last two.
package imapbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// The folders the robots use.
const (
	Inbox     = "INBOX"
	Processed = "Processed"
)

// UID names a mail in a folder, as long as the folder's UIDVALIDITY
// holds: a robot's callers need not import go-imap for it.
type UID = imap.UID

// MaxMailBytes bounds the mail Read returns: a mail server's usual limit.
const MaxMailBytes = 25 << 20

// MaxWaiting bounds the mails one Waiting lists: the rest wait for the
// next call.
const MaxWaiting = 1000

// maxMessageIDBytes is RFC 5322's line limit: no Message-ID is longer.
const maxMessageIDBytes = 998

// Box is one logged-in IMAP connection.
type Box struct {
	c *imapclient.Client
}

// Mail is a waiting mail, as the intake robot queues it.
type Mail struct {
	UID       imap.UID
	MessageID string
	From      string
	Subject   string
	Received  time.Time
	Size      int64
}

// Dial connects to addr (host:port) without TLS, as inside a cluster,
// and logs in. Over a network that is not the cluster's, use DialTLS.
func Dial(ctx context.Context, addr, user, password string) (*Box, error) {
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		return nil, fmt.Errorf("connect to the mailbox at %s: %w", addr, err)
	}
	return login(ctx, c, user, password)
}

// Connect is DialTLS when useTLS, else Dial: the robots' imapTLS
// parameter.
func Connect(ctx context.Context, addr string, useTLS bool, user, password string) (*Box, error) {
	if useTLS {
		return DialTLS(ctx, addr, user, password)
	}
	return Dial(ctx, addr, user, password)
}

// DialTLS is Dial over TLS (IMAPS), as Exchange Online serves it.
func DialTLS(ctx context.Context, addr, user, password string) (*Box, error) {
	c, err := imapclient.DialTLS(addr, nil)
	if err != nil {
		return nil, fmt.Errorf("connect to the mailbox at %s: %w", addr, err)
	}
	return login(ctx, c, user, password)
}

// login logs in and checks the server can MOVE: without it a mail would
// be copied and then deleted, and a robot killed in between would find
// it twice.
func login(ctx context.Context, c *imapclient.Client, user, password string) (*Box, error) {
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	if err := c.Login(user, password).Wait(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("log in to the mailbox as %s: %w", user, err)
	}
	if !c.Caps().Has(imap.CapMove) && !c.Caps().Has(imap.CapIMAP4rev2) {
		_ = c.Close()
		return nil, errors.New("the mailbox's server does not support MOVE: a mail could be processed twice")
	}
	return &Box{c: c}, nil
}

// Close logs out.
func (b *Box) Close() error {
	if err := b.c.Logout().Wait(); err != nil {
		_ = b.c.Close()
		return err
	}
	return b.c.Close()
}

// Waiting lists the mails in INBOX, oldest first, at most MaxWaiting.
// Subject and From are the sender's words, as long as they wrote them:
// bound them before they go into a work item.
func (b *Box) Waiting(ctx context.Context) ([]Mail, error) {
	stop := context.AfterFunc(ctx, func() { _ = b.c.Close() })
	defer stop()
	selected, err := b.c.Select(Inbox, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", Inbox, err)
	}
	if selected.NumMessages == 0 {
		return nil, nil
	}
	var first imap.SeqSet // 1:N, the oldest N
	first.AddRange(1, min(selected.NumMessages, MaxWaiting))
	msgs, err := b.c.Fetch(first,
		&imap.FetchOptions{UID: true, Envelope: true, InternalDate: true, RFC822Size: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", Inbox, err)
	}
	out := make([]Mail, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, mailOf(m))
	}
	return out, nil
}

func mailOf(m *imapclient.FetchMessageBuffer) Mail {
	mail := Mail{UID: m.UID, Received: m.InternalDate, Size: m.RFC822Size}
	if e := m.Envelope; e != nil {
		mail.Subject = e.Subject
		if e.MessageID != "" { // none is none, not "<>": it would be every such mail's reference
			mail.MessageID = "<" + e.MessageID + ">"
		}
		if len(e.From) > 0 {
			mail.From = e.From[0].Addr()
		}
	}
	return mail
}

// MoveToProcessed moves a mail of INBOX (by its UID, from Waiting) to
// Processed. A mail moved already is not an error: a robot killed after
// the move and run again asks again.
func (b *Box) MoveToProcessed(ctx context.Context, uid imap.UID) error {
	stop := context.AfterFunc(ctx, func() { _ = b.c.Close() })
	defer stop()
	if _, err := b.c.Select(Inbox, nil).Wait(); err != nil {
		return fmt.Errorf("open %s: %w", Inbox, err)
	}
	// Ask first: a MOVE of no mail is answered differently by each server
	// (go-imap's own fails on it).
	still, err := b.c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(uid)}}, nil).Wait()
	if err != nil {
		return fmt.Errorf("look for mail %d in %s: %w", uid, Inbox, err)
	}
	if len(still.AllUIDs()) == 0 {
		return nil // moved already
	}
	if _, err := b.c.Move(imap.UIDSetNum(uid), Processed).Wait(); err != nil {
		return fmt.Errorf("move mail %d to %s: %w", uid, Processed, err)
	}
	return nil
}

// ErrNotFound says no mail of the folder has the Message-ID.
var ErrNotFound = errors.New("no such mail")

// ErrTooLarge says the mail is larger than MaxMailBytes: a person opens it.
var ErrTooLarge = fmt.Errorf("larger than %d bytes", MaxMailBytes)

// ErrNotAMessageID says the Message-ID given cannot be searched for.
var ErrNotAMessageID = errors.New("not a Message-ID")

// Read returns the whole mail (RFC 5322, at most MaxMailBytes) of folder
// whose Message-ID is messageID (with or without its angle brackets).
func (b *Box) Read(ctx context.Context, folder, messageID string) ([]byte, error) {
	stop := context.AfterFunc(ctx, func() { _ = b.c.Close() })
	defer stop()
	if _, err := b.c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return nil, fmt.Errorf("open %s: %w", folder, err)
	}
	bare := strings.Trim(messageID, "<> ")
	if bare == "" || len(bare) > maxMessageIDBytes || strings.ContainsAny(bare, " \t\r\n") {
		return nil, fmt.Errorf("%q: %w", messageID, ErrNotAMessageID)
	}
	id := "<" + bare + ">"
	found, err := b.c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-Id", Value: id}}}, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("search %s for %s: %w", folder, id, err)
	}
	uids := found.AllUIDs()
	if len(uids) == 0 {
		return nil, fmt.Errorf("%s in %s: %w", id, folder, ErrNotFound)
	}
	body := &imap.FetchItemBodySection{Peek: true}
	cmd := b.c.Fetch(imap.UIDSetNum(uids[0]), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{body}})
	defer func() { _ = cmd.Close() }()
	msg := cmd.Next()
	if msg == nil {
		return nil, fmt.Errorf("%s in %s: %w", id, folder, ErrNotFound)
	}
	for {
		item := msg.Next()
		if item == nil {
			return nil, fmt.Errorf("%s in %s: the server sent no body", id, folder)
		}
		if section, ok := item.(imapclient.FetchItemDataBodySection); ok {
			raw, err := io.ReadAll(io.LimitReader(section.Literal, MaxMailBytes+1))
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", id, err)
			}
			if len(raw) > MaxMailBytes {
				return nil, fmt.Errorf("%s: %w", id, ErrTooLarge)
			}
			return raw, nil
		}
	}
}
