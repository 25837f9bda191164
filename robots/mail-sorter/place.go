package main

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// placement is where a mail goes: forwarded, journaled, or to a person.
type placement struct {
	// Rule names the rule that placed it; empty when none did.
	Rule string
	// ForwardTo is the mailbox it is forwarded to.
	ForwardTo string
	// JournalOn is the case it is journaled on.
	JournalOn string
	// Exception says why a person must place it; the rest is empty then.
	Exception string
}

// openCase is an open ESDH case of the person a mail names.
type openCase struct {
	Number     string `json:"number"`
	Caseworker string `json:"caseworker"`
}

// decide places a mail by the first rule that matches. A rule on the CPR
// number looks the person's open cases up (lookup) and places the mail
// only when there is exactly one: choosing between two cases, or opening
// one, is a caseworker's decision.
func decide(rules Rules, l letter, lookup func(cpr string) ([]openCase, error)) (placement, error) {
	rule := rules.match(l.facts)
	if rule == nil {
		return placement{Exception: noRule(l)}, nil
	}
	p := placement{Rule: rule.Name}
	if rule.ForwardTo != "" {
		p.ForwardTo = rule.ForwardTo
		return p, nil
	}
	if n := len(l.facts.CPRs); n > 1 {
		p.Exception = fmt.Sprintf("the PDF names %d persons (%s): rule %q places a mail about one person only", n, maskedList(l.facts.CPRs), rule.Name)
		return p, nil
	}
	cases, err := lookup(l.facts.CPRs[0])
	if err != nil {
		return placement{}, err
	}
	switch len(cases) {
	case 0:
		p.Exception = fmt.Sprintf("the PDF names a person (%s) with no open case in ESDH: open a case or forward the mail", masked(l.facts.CPRs[0]))
	case 1:
		if rule.JournalOnCase {
			p.JournalOn = cases[0].Number
		} else {
			p.ForwardTo = cases[0].Caseworker
		}
	default:
		p.Exception = fmt.Sprintf("the PDF names a person (%s) with %d open cases (%s): choose the case", masked(l.facts.CPRs[0]), len(cases), caseNumbers(cases))
	}
	return p, nil
}

// maxSubjectInReason bounds the sender's words in a reason.
const maxSubjectInReason = 80

// noRule is the reason a mail no rule matched goes to a person.
func noRule(l letter) string {
	subject := l.Subject
	if utf8.RuneCountInString(subject) > maxSubjectInReason {
		subject = string([]rune(subject)[:maxSubjectInReason]) + "…"
	}
	reason := fmt.Sprintf("no rule places this mail (from %s, subject %q): forward it by hand, or add a rule", orUnknown(l.facts.SenderDomain), subject)
	if l.UnreadablePDFs > 0 {
		reason += fmt.Sprintf("; %d PDF attachment(s) could not be read", l.UnreadablePDFs)
	}
	return reason
}

func orUnknown(domain string) string {
	if domain == "" {
		return "an unknown sender"
	}
	return domain
}

func maskedList(cprs []string) string {
	out := make([]string, len(cprs))
	for i, c := range cprs {
		out[i] = masked(c)
	}
	return strings.Join(out, ", ")
}

func caseNumbers(cases []openCase) string {
	out := make([]string, len(cases))
	for i, c := range cases {
		out[i] = c.Number
	}
	return strings.Join(out, ", ")
}
