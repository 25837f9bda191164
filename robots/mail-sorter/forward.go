package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/rpa-operator/rpa-operator/robots/sdk"
)

// smtpTimeout bounds one forward: the mail server is inside the network.
const smtpTimeout = time.Minute

// forwarder resends mail from the main address by SMTP.
type forwarder struct {
	addr string
	// from is the main address, the resender.
	from string
	now  func() time.Time
}

// forward resends the mail as it arrived to another mailbox, with the
// Resent- fields of RFC 5322 in front: the department sees the sender's
// own mail, Message-ID included, and that the municipality passed it on.
// A repeat after a kill carries the same Message-ID, which the receiving
// mailbox files once.
func (f forwarder) forward(ctx context.Context, raw []byte, to string) error {
	var msg bytes.Buffer
	fmt.Fprintf(&msg, "Resent-From: %s\r\nResent-To: %s\r\nResent-Date: %s\r\n", f.from, to, f.now().Format(time.RFC1123Z))
	msg.Write(raw)
	ctx, cancel := context.WithTimeout(ctx, smtpTimeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", f.addr)
	if err != nil {
		return fmt.Errorf("reach the mail server: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	c := smtp.NewClient(conn)
	defer func() { _ = c.Close() }()
	var refused *smtp.SMTPError
	err = c.SendMail(f.from, []string{to}, &msg)
	if errors.As(err, &refused) && refused.Code >= 500 {
		// A permanent refusal (no such mailbox, too large) will not pass
		// on a retry: a person forwards it.
		return sdk.BusinessExceptionf("the mail server refused the forward to %s (%d %s): forward the mail by hand",
			to, refused.Code, runes(refused.Message, maxServerText))
	}
	if err != nil {
		return fmt.Errorf("forward to %s: %w", to, err)
	}
	// The mail server has it once DATA is accepted; a failed QUIT
	// changes nothing.
	_ = c.Quit()
	return nil
}

// maxServerText bounds the mail server's words in a reason.
const maxServerText = 200
