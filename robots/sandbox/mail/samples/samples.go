// Package samples writes the mail that reaches Herning's main address in
// the demo and the e2e tests: invoices, building applications, citizens'
// questions and case documents with a PDF that names a person by CPR
// number, one in ten of them a mail the mail robot cannot place alone. It
// delivers them by SMTP, as a sender's server would.
package samples

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"

	"github.com/rpa-operator/rpa-operator/robots/sandbox/sandbox"
)

// Kind is what a sample mail is, and so where the mail robot's sample
// rules (robots/mail-sorter/rules.yaml) send it.
type Kind string

// The kinds, in the order they take turns.
const (
	Invoice      Kind = "invoice"       // from a supplier's domain: economy
	Building     Kind = "building"      // "byggetilladelse" in the subject: building
	CaseDocument Kind = "case-document" // a PDF naming a person with one open case: journaled
	Question     Kind = "question"      // "pas" in the subject: citizen service
	// The mails a person must place, in turn: a PDF naming a person with
	// two open cases, one naming a person whose case is closed, and a mail
	// no rule matches (without a Message-ID: the server gives it one).
	TwoCases   Kind = "two-open-cases"
	NoOpenCase Kind = "no-open-case"
	Unplaced   Kind = "no-rule"
)

// turns is the order of the kinds; the fifth of every ten is an exception.
var turns = []Kind{Invoice, Building, CaseDocument, Question, "", CaseDocument, Invoice, Building, CaseDocument, Question}

var exceptions = []Kind{TwoCases, NoOpenCase, Unplaced}

// KindOf is the kind of sample n (from 0).
func KindOf(n int) Kind {
	k := turns[n%len(turns)]
	if k == "" {
		k = exceptions[(n/len(turns))%len(exceptions)]
	}
	return k
}

// Mail is one sample mail.
type Mail struct {
	N        int
	Kind     Kind
	From, To string
	// MessageID is empty for a mail sent without one.
	MessageID string
	// CaseNumber is the case a case document belongs on.
	CaseNumber string
	Raw        []byte
}

// Writer writes the samples about the sandbox's cases.
type Writer struct {
	// To is the main address.
	To    string
	Cases []sandbox.Case
	Now   func() time.Time
}

// Write composes sample n.
func (w Writer) Write(n int) (Mail, error) {
	kind := KindOf(n)
	m := Mail{N: n, Kind: kind, To: w.To}
	h := mail.Header{}
	h.SetDate(w.Now())
	h.SetAddressList("To", []*mail.Address{{Address: w.To}})
	var body string
	var pdf []byte
	switch kind {
	case Invoice:
		m.From = "faktura@leverandor-nord.dk"
		h.SetSubject(fmt.Sprintf("Faktura %d", 40000+n))
		body = "Vedlagt faktura for levering af kontorartikler."
	case Building:
		m.From = fmt.Sprintf("tegnestue%d@arkitekt-midt.dk", n%7)
		h.SetSubject(fmt.Sprintf("Ansøgning om byggetilladelse, Skolevej %d", 1+n%90))
		body = "Hermed ansøgning om byggetilladelse til carport. Tegninger følger."
	case Question:
		m.From = fmt.Sprintf("borger%d@gmail.com", n)
		h.SetSubject("Spørgsmål om pas og kørekort")
		body = "Hvornår kan jeg hente mit nye pas?"
	case Unplaced:
		m.From = fmt.Sprintf("borger%d@hotmail.com", n)
		h.SetSubject("Hej")
		body = "Kan I hjælpe mig? Jeg ved ikke, hvem jeg skal skrive til."
	default:
		c, ok := w.caseFor(kind, n)
		if !ok {
			return Mail{}, fmt.Errorf("the sandbox has no case for a %s mail: seed more cases", kind)
		}
		m.From = fmt.Sprintf("advokat%d@advokathuset.dk", n%5)
		h.SetSubject(fmt.Sprintf("Dokumentation til sagen, vores ref. %d", 7000+n))
		body = "Se vedhæftede dokument."
		if kind == CaseDocument {
			m.CaseNumber = c.Number
		}
		var err error
		if pdf, err = casePDF(c, n); err != nil {
			return Mail{}, err
		}
	}
	h.SetAddressList("From", []*mail.Address{{Address: m.From}})
	if kind != Unplaced {
		m.MessageID = fmt.Sprintf("%d.%d@%s", n, w.Now().UnixNano(), domain(m.From))
		h.SetMessageID(m.MessageID)
		m.MessageID = "<" + m.MessageID + ">"
	}
	raw, err := compose(h, body, pdf)
	m.Raw = raw
	return m, err
}

// caseFor picks the n-th person the kind needs.
func (w Writer) caseFor(kind Kind, n int) (sandbox.Case, bool) {
	open := map[string][]sandbox.Case{}
	all := map[string]int{}
	var order []string
	for _, c := range w.Cases {
		if all[c.PartyCPR] == 0 {
			order = append(order, c.PartyCPR)
		}
		all[c.PartyCPR]++
		if c.Open {
			open[c.PartyCPR] = append(open[c.PartyCPR], c)
		}
	}
	var fit []sandbox.Case
	for _, cpr := range order {
		switch {
		case kind == CaseDocument && all[cpr] == 1 && len(open[cpr]) == 1,
			kind == TwoCases && len(open[cpr]) == 2:
			fit = append(fit, open[cpr][0])
		case kind == NoOpenCase && len(open[cpr]) == 0:
			for _, c := range w.Cases {
				if c.PartyCPR == cpr {
					fit = append(fit, c)
					break
				}
			}
		}
	}
	if len(fit) == 0 {
		return sandbox.Case{}, false
	}
	return fit[n%len(fit)], true
}

func domain(address string) string {
	_, d, _ := strings.Cut(address, "@")
	return d
}

// compose writes the mail: a text part and, if any, the PDF.
func compose(h mail.Header, body string, pdf []byte) ([]byte, error) {
	var buf bytes.Buffer
	mw, err := mail.CreateWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	var text mail.InlineHeader
	text.Set("Content-Type", "text/plain; charset=utf-8")
	tw, err := mw.CreateSingleInline(text)
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(tw, body+"\r\n"); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if pdf != nil {
		var ah mail.AttachmentHeader
		ah.Set("Content-Type", "application/pdf")
		ah.SetFilename("dokument.pdf")
		aw, err := mw.CreateAttachment(ah)
		if err != nil {
			return nil, err
		}
		if _, err := aw.Write(pdf); err != nil {
			return nil, err
		}
		if err := aw.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// casePDF is a one-page document about the case's person, naming them by
// CPR number as a lawyer's or a doctor's letter does.
func casePDF(c sandbox.Case, n int) ([]byte, error) {
	p := fpdf.New("P", "mm", "A4", "")
	tr := p.UnicodeTranslatorFromDescriptor("")
	p.AddPage()
	p.SetFont("Helvetica", "B", 14)
	p.Cell(0, 10, tr("Advokathuset Midt"))
	p.Ln(14)
	p.SetFont("Helvetica", "", 11)
	for _, line := range []string{
		"Til Herning Kommune",
		fmt.Sprintf("Vedr.: %s", c.PartyName),
		fmt.Sprintf("CPR-nr.: %s", c.PartyCPR),
		fmt.Sprintf("Vores ref.: %d", 7000+n),
		"Vi fremsender hermed dokumentation til brug for sagens behandling.",
	} {
		p.Cell(0, 8, tr(line))
		p.Ln(8)
	}
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, fmt.Errorf("write the PDF: %w", err)
	}
	return buf.Bytes(), nil
}

// Deliver sends the mails to the SMTP server at addr, one connection for
// all, as a sender's server sends a queue of mail.
func Deliver(addr string, mails []Mail) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }()
	for _, m := range mails {
		if err := c.SendMail(m.From, []string{m.To}, bytes.NewReader(m.Raw)); err != nil {
			return fmt.Errorf("deliver sample %d: %w", m.N, err)
		}
	}
	return c.Quit()
}
