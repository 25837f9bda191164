package main

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// action is what the robot does with a mail.
type action int

const (
	// toPerson hands the mail to a person: the rules cannot place it.
	toPerson action = iota
	forward
	journal
)

// placement is where a mail goes: forwarded, journaled, or to a person.
type placement struct {
	Action action
	// Rule names the rule that placed it; empty when none did.
	Rule string
	// ForwardTo is the mailbox it is forwarded to.
	ForwardTo string
	// JournalOn is the case it is journaled on.
	JournalOn string
	// Exception says why a person must place it.
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
	if rule.ForwardTo != "" {
		return placement{Action: forward, Rule: rule.Name, ForwardTo: rule.ForwardTo}, nil
	}
	if n := len(l.facts.CPRs); n > 1 {
		return toPersonBy(rule, "the PDFs name %d persons (%s): rule %q places a mail about one person only", n, maskedList(l.facts.CPRs), rule.Name), nil
	}
	cpr := l.facts.CPRs[0]
	cases, err := lookup(cpr)
	if err != nil {
		return placement{}, err
	}
	switch {
	case len(cases) == 0:
		return toPersonBy(rule, "the PDF names a person (%s) with no open case in ESDH: open a case or forward the mail", masked(cpr)), nil
	case len(cases) > 1:
		return toPersonBy(rule, "the PDF names a person (%s) with %d open cases (%s): choose the case", masked(cpr), len(cases), caseNumbers(cases)), nil
	case cases[0].Number == "":
		return toPersonBy(rule, "ESDH gave the person's (%s) open case without a number", masked(cpr)), nil
	case rule.JournalOnCase:
		return placement{Action: journal, Rule: rule.Name, JournalOn: cases[0].Number}, nil
	case cases[0].Caseworker == "":
		return toPersonBy(rule, "case %s of the person (%s) has no caseworker to forward to", cases[0].Number, masked(cpr)), nil
	default:
		return placement{Action: forward, Rule: rule.Name, ForwardTo: cases[0].Caseworker}, nil
	}
}

// toPersonBy is a placement for a person, with the reason.
func toPersonBy(rule *Rule, format string, args ...any) placement {
	return placement{Action: toPerson, Rule: rule.Name, Exception: fmt.Sprintf(format, args...)}
}

// Bounds on the sender's words in a reason.
const (
	maxSubjectInReason = 80
	maxDomainInReason  = 100
)

// noRule is the reason a mail no rule matched goes to a person.
func noRule(l letter) string {
	reason := fmt.Sprintf("no rule places this mail (from %s, subject %q): forward it by hand, or add a rule",
		runes(orUnknown(l.facts.SenderDomain), maxDomainInReason), runes(l.subject, maxSubjectInReason))
	if l.unreadablePDFs > 0 {
		reason += fmt.Sprintf("; %d PDF attachment(s) could not be read", l.unreadablePDFs)
	}
	return reason
}

// runes cuts s to n characters, marking the cut.
func runes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
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
