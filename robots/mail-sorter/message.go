package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/emersion/go-message"
	// Charsets other than UTF-8 and ASCII (ISO-8859-1, Windows-1252), in
	// which much Danish mail is still written.
	_ "github.com/emersion/go-message/charset"
	gomail "github.com/emersion/go-message/mail"
	"github.com/ledongthuc/pdf"
)

// Bounds on what the robot reads of a mail: a PDF of a hundred pages is
// a document for a person, not for a CPR scan.
const (
	maxPDFs      = 10
	maxPDFBytes  = 10 << 20
	maxTextBytes = 1 << 20
)

// letter is a mail as the rules see it, with the PDFs' text read.
type letter struct {
	From    string
	Subject string
	facts   facts
	// UnreadablePDFs counts PDFs whose text could not be read.
	UnreadablePDFs int
}

// readLetter parses a whole mail (RFC 5322, MIME).
func readLetter(raw []byte) (letter, error) {
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) {
		return letter{}, fmt.Errorf("read the mail: %w", err)
	}
	defer func() { _ = r.Close() }()
	var l letter
	if from, err := r.Header.AddressList("From"); err == nil && len(from) > 0 {
		l.From = from[0].Address
	}
	l.Subject, _ = r.Header.Subject()
	l.facts = facts{SenderDomain: domainOf(l.From), Subject: l.Subject}
	pdfs := 0
	for {
		part, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !message.IsUnknownCharset(err) {
			return letter{}, fmt.Errorf("read the mail's parts: %w", err)
		}
		if !isPDF(part) || pdfs == maxPDFs {
			continue
		}
		pdfs++
		text, err := pdfText(part.Body)
		if err != nil {
			l.UnreadablePDFs++
			continue
		}
		l.facts.CPRs = appendNew(l.facts.CPRs, cprNumbers(text)...)
	}
	return l, nil
}

// isPDF: an attachment (or inline part) of type application/pdf, or one
// named *.pdf and sent as octet-stream, as some mail programs do.
func isPDF(p *gomail.Part) bool {
	var ct, name string
	switch h := p.Header.(type) {
	case *gomail.AttachmentHeader:
		ct, _, _ = h.ContentType()
		name, _ = h.Filename()
	case *gomail.InlineHeader:
		ct, _, _ = h.ContentType()
		_, params, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
		name = params["filename"]
	}
	return ct == "application/pdf" || (ct == "application/octet-stream" && strings.HasSuffix(strings.ToLower(name), ".pdf"))
}

// pdfText reads a PDF's text. The PDF reader panics on some malformed
// files: a mail's attachment is the sender's, so that is an unreadable
// PDF, not a crash.
func pdfText(body io.Reader) (text string, err error) {
	data, err := io.ReadAll(io.LimitReader(body, maxPDFBytes+1))
	if err != nil {
		return "", err
	}
	if len(data) > maxPDFBytes {
		return "", fmt.Errorf("larger than %d bytes", maxPDFBytes)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed PDF: %v", p)
		}
	}()
	doc, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", err
	}
	plain, err := doc.GetPlainText()
	if err != nil {
		return "", err
	}
	out, err := io.ReadAll(io.LimitReader(plain, maxTextBytes))
	return string(out), err
}

// cprPattern is a CPR number as letters write it: DDMMYY-SSSS.
var cprPattern = regexp.MustCompile(`\b([0-9]{2})([0-9]{2})[0-9]{2}-[0-9]{4}\b`)

// cprNumbers are the CPR numbers in text with a possible day and month,
// each once, in order.
func cprNumbers(text string) []string {
	var out []string
	for _, m := range cprPattern.FindAllStringSubmatch(text, -1) {
		day, _ := strconv.Atoi(m[1])
		month, _ := strconv.Atoi(m[2])
		if day >= 1 && day <= 31 && month >= 1 && month <= 12 {
			out = appendNew(out, m[0])
		}
	}
	return out
}

func appendNew(list []string, values ...string) []string {
	for _, v := range values {
		if !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}

func domainOf(address string) string {
	if i := strings.LastIndexByte(address, '@'); i >= 0 {
		return strings.ToLower(address[i+1:])
	}
	return ""
}

// masked is a CPR number as logs and reasons may show it: the birth date
// only. The whole number is personal data the robot passes on, never
// writes down.
func masked(cpr string) string {
	if len(cpr) < 6 {
		return "******"
	}
	return cpr[:6] + "-****"
}
