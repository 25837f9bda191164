// Package mailtest serves the sandbox's mailbox in a test and delivers
// mail to it by SMTP, as a sender's server would.
package mailtest

import (
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/rpa-operator/rpa-operator/robots/sandbox/mail"
)

// Serve serves box on loopback ports until the test ends.
func Serve(t testing.TB, box *mail.Mailbox) *mail.Serving {
	t.Helper()
	s, err := box.Listen("127.0.0.1:0", "127.0.0.1:0", "mx.test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("the mailbox stopped: %v", err)
		}
	})
	return s
}

// Send delivers message (lines ending in \n) from from to to by SMTP, in
// plain text as inside the cluster.
func Send(addr, from, to, message string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }()
	if err := c.SendMail(from, []string{to}, strings.NewReader(strings.ReplaceAll(message, "\n", "\r\n"))); err != nil {
		return err
	}
	return c.Quit()
}
