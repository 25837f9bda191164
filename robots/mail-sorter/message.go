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

// Bounds on what the robot reads of a mail: a PDF of more than 100 pages
// is a document for a person, not for a CPR scan. The reader inflates a
// page's content whole, so a page is bounded only by the pod's memory
// limit (robot.yaml): a PDF made to blow up ends that attempt, and the
// item goes to Failed after its attempts, for a person.
const (
	maxPDFs      = 10
	maxPDFBytes  = 10 << 20
	maxPDFPages  = 100
	maxTextBytes = 1 << 20
)

// letter is a mail as the rules see it, with the PDFs' text read.
type letter struct {
	from    string
	subject string
	facts   facts
	// unreadablePDFs counts PDFs whose text could not be read.
	unreadablePDFs int
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
		l.from = from[0].Address
	}
	l.subject, _ = r.Header.Subject()
	l.facts = facts{SenderDomain: domainOf(l.from), Subject: l.subject}
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
			l.unreadablePDFs++
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
	if n := doc.NumPage(); n > maxPDFPages {
		return "", fmt.Errorf("%d pages, more than %d", n, maxPDFPages)
	}
	return pagesText(doc)
}

// pagesText reads the pages' text one at a time, at most maxTextBytes.
func pagesText(doc *pdf.Reader) (string, error) {
	var b strings.Builder
	for i := 1; i <= doc.NumPage() && b.Len() < maxTextBytes; i++ {
		page := doc.Page(i)
		if page.V.IsNull() {
			continue
		}
		text, err := page.GetPlainText(nil)
		if err != nil {
			return "", err
		}
		b.WriteString(text[:min(len(text), maxTextBytes-b.Len())])
		b.WriteByte('\n')
	}
	return b.String(), nil
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
