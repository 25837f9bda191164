package imapbox

import (
	"strings"

	"github.com/emersion/go-smtp"
)

// smtpSend delivers raw to the sandbox's SMTP server, as a sender's
// server would.
func smtpSend(addr, raw string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }()
	if err := c.SendMail("afsender@example.dk", []string{user}, strings.NewReader(strings.ReplaceAll(raw, "\n", "\r\n"))); err != nil {
		return err
	}
	return c.Quit()
}
