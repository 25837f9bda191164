package main

import (
	"errors"
	"fmt"
	"net/mail"
	"os"
	"strings"
	"unicode"

	"sigs.k8s.io/yaml"
)

// Rules route the mail: the first rule whose conditions all hold places
// it. They come from a ConfigMap (rules.yaml) that the process owner
// edits; README.md describes them.
type Rules struct {
	Rules []Rule `json:"rules"`
}

// Rule is one routing rule: conditions (all that are given must hold)
// and one action.
type Rule struct {
	Name string `json:"name"`

	// SenderDomains: the sender's domain is one of these, or under one.
	SenderDomains []string `json:"senderDomains,omitempty"`
	// SubjectWords: the subject has one of these words (whole words, any
	// case).
	SubjectWords []string `json:"subjectWords,omitempty"`
	// CPRInPDF: a PDF attachment names a person by CPR number, whom the
	// action looks up in ESDH.
	CPRInPDF bool `json:"cprInPDF,omitempty"`

	// ForwardTo forwards the mail to a department's mailbox.
	ForwardTo string `json:"forwardTo,omitempty"`
	// JournalOnCase journals the mail on the person's one open case
	// (needs cprInPDF).
	JournalOnCase bool `json:"journalOnCase,omitempty"`
	// ForwardToCaseworker forwards the mail to the caseworker of the
	// person's one open case (needs cprInPDF).
	ForwardToCaseworker bool `json:"forwardToCaseworker,omitempty"`
}

// readRules reads and checks the rules file.
func readRules(path string) (Rules, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Rules{}, fmt.Errorf("read the rules (the ConfigMap mail-sorter-rules): %w", err)
	}
	return parseRules(data)
}

// parseRules parses rules.yaml strictly: a misspelt key is an error, not
// a rule that silently matches everything.
func parseRules(data []byte) (Rules, error) {
	var r Rules
	if err := yaml.UnmarshalStrict(data, &r); err != nil {
		return Rules{}, fmt.Errorf("rules.yaml: %w", err)
	}
	if len(r.Rules) == 0 {
		return Rules{}, errors.New("rules.yaml has no rules: every mail would go to a person")
	}
	seen := map[string]bool{}
	var errs []error
	for i, rule := range r.Rules {
		if err := rule.check(); err != nil {
			errs = append(errs, fmt.Errorf("rule %d (%q): %w", i+1, rule.Name, err))
		}
		if seen[rule.Name] {
			errs = append(errs, fmt.Errorf("rule %d: the name %q is used twice", i+1, rule.Name))
		}
		seen[rule.Name] = true
	}
	if len(errs) > 0 {
		return Rules{}, fmt.Errorf("rules.yaml: %w", errors.Join(errs...))
	}
	return r, nil
}

func (r Rule) check() error {
	if err := r.checkShape(); err != nil {
		return err
	}
	return r.checkValues()
}

// checkShape: a name, one action, and a condition the action can use.
func (r Rule) checkShape() error {
	actions := 0
	for _, set := range []bool{r.ForwardTo != "", r.JournalOnCase, r.ForwardToCaseworker} {
		if set {
			actions++
		}
	}
	switch {
	case r.Name == "":
		return errors.New("a rule needs a name: the item's output and the logs name the rule that placed a mail")
	case actions != 1:
		return errors.New("give exactly one of forwardTo, journalOnCase and forwardToCaseworker")
	case (r.JournalOnCase || r.ForwardToCaseworker) && !r.CPRInPDF:
		return errors.New("journalOnCase and forwardToCaseworker need cprInPDF: true (the person is found by the CPR number)")
	case len(r.SenderDomains) == 0 && len(r.SubjectWords) == 0 && !r.CPRInPDF:
		return errors.New("a rule needs a condition (senderDomains, subjectWords or cprInPDF); one that matches every mail hides the mail no rule places")
	}
	return nil
}

// checkValues: an address to forward to, one word per subject word.
func (r Rule) checkValues() error {
	if r.ForwardTo != "" {
		if a, err := mail.ParseAddress(r.ForwardTo); err != nil || a.Address != r.ForwardTo {
			return fmt.Errorf("forwardTo %q is not a mail address such as byg@herning.dk", r.ForwardTo)
		}
	}
	for _, w := range r.SubjectWords {
		if len(words(w)) != 1 {
			return fmt.Errorf("subject word %q: give one word per entry", w)
		}
	}
	return nil
}

// forwardsNotTo refuses rules that forward to the mailbox itself: the
// mail would come back as one already queued, and be lost.
func (r Rules) forwardsNotTo(mailbox string) error {
	for i, rule := range r.Rules {
		if strings.EqualFold(rule.ForwardTo, mailbox) {
			return fmt.Errorf("rules.yaml: rule %d (%q) forwards to %s, the mailbox the robot reads", i+1, rule.Name, mailbox)
		}
	}
	return nil
}

// facts are what the rules look at in a mail.
type facts struct {
	SenderDomain string
	Subject      string
	// CPRs are the CPR numbers the PDF attachments name, each once.
	CPRs []string
}

// match is the first rule whose conditions all hold, or nil.
func (r Rules) match(f facts) *Rule {
	subject := map[string]bool{}
	for _, w := range words(f.Subject) {
		subject[w] = true
	}
	for i := range r.Rules {
		if r.Rules[i].holds(f, subject) {
			return &r.Rules[i]
		}
	}
	return nil
}

func (r Rule) holds(f facts, subject map[string]bool) bool {
	if len(r.SenderDomains) > 0 && !fromDomain(f.SenderDomain, r.SenderDomains) {
		return false
	}
	if len(r.SubjectWords) > 0 && !hasWord(subject, r.SubjectWords) {
		return false
	}
	return !r.CPRInPDF || len(f.CPRs) > 0
}

func fromDomain(domain string, domains []string) bool {
	domain = strings.ToLower(domain)
	for _, d := range domains {
		d = strings.ToLower(d)
		if domain == d || strings.HasSuffix(domain, "."+d) {
			return true
		}
	}
	return false
}

func hasWord(subject map[string]bool, list []string) bool {
	for _, w := range list {
		if subject[strings.ToLower(w)] {
			return true
		}
	}
	return false
}

// words are the lower-cased words of s: letters and digits.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}
