package main

import (
	"os"
	"strings"
	"testing"
)

func sampleRules(t *testing.T) Rules {
	t.Helper()
	data, err := os.ReadFile("rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := parseRules(data)
	if err != nil {
		t.Fatalf("the sample rules: %v", err)
	}
	return r
}

func TestParseRulesRefusesRulesThatWouldMisroute(t *testing.T) {
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"no rules", "rules: []", "has no rules"},
		{"a misspelt key", "rules:\n- name: a\n  subjectWord: [pas]\n  forwardTo: a@herning.dk", `unknown field "subjectWord"`},
		{"no action", "rules:\n- name: a\n  subjectWords: [pas]", "exactly one of"},
		{"two actions", "rules:\n- name: a\n  cprInPDF: true\n  journalOnCase: true\n  forwardTo: a@herning.dk", "exactly one of"},
		{"a case action without a CPR number", "rules:\n- name: a\n  subjectWords: [pas]\n  journalOnCase: true", "need cprInPDF"},
		{"no condition", "rules:\n- name: a\n  forwardTo: a@herning.dk", "needs a condition"},
		{"not an address", "rules:\n- name: a\n  subjectWords: [pas]\n  forwardTo: Byg og Miljø", "is not a mail address"},
		{"two words in one", "rules:\n- name: a\n  subjectWords: [nyt pas]\n  forwardTo: a@herning.dk", "one word per entry"},
		{"a name twice", "rules:\n- name: a\n  subjectWords: [pas]\n  forwardTo: a@herning.dk\n- name: a\n  subjectWords: [kørekort]\n  forwardTo: a@herning.dk", "used twice"},
		{"no name", "rules:\n- subjectWords: [pas]\n  forwardTo: a@herning.dk", "needs a name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseRules([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestTheFirstMatchingRulePlacesAMail(t *testing.T) {
	rules := sampleRules(t)
	tests := []struct {
		name  string
		facts facts
		want  string // the rule, "" for none
	}{
		{"a supplier's invoice", facts{SenderDomain: "leverandor-nord.dk", Subject: "Faktura 40006"}, "invoices"},
		{"from a subdomain of the supplier", facts{SenderDomain: "faktura.leverandor-nord.dk", Subject: "Faktura"}, "invoices"},
		{"a domain that only ends the same", facts{SenderDomain: "falsk-leverandor-nord.dk", Subject: "Faktura"}, ""},
		{"a subject word in any case", facts{SenderDomain: "arkitekt-midt.dk", Subject: "Ansøgning om BYGGETILLADELSE, Skolevej 2"}, "building"},
		{"a Danish word", facts{SenderDomain: "gmail.com", Subject: "Spørgsmål om kørekort"}, "passports-and-licences"},
		{"a whole word only", facts{SenderDomain: "gmail.com", Subject: "Det passer ikke"}, ""},
		{"a CPR number first, whatever the subject", facts{SenderDomain: "gmail.com", Subject: "Nyt pas", CPRs: []string{"010180-1234"}}, "case-documents"},
		{"nothing matches", facts{SenderDomain: "hotmail.com", Subject: "Hej"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if r := rules.match(tt.facts); r != nil {
				got = r.Name
			}
			if got != tt.want {
				t.Errorf("rule %q, want %q", got, tt.want)
			}
		})
	}
}

func TestARuleMayNotForwardToTheMailboxItself(t *testing.T) {
	r, err := parseRules([]byte("rules:\n- name: loop\n  subjectWords: [hej]\n  forwardTo: Kommunen@herning.dk"))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.forwardsNotTo("kommunen@herning.dk"); err == nil || !strings.Contains(err.Error(), `rule 1 ("loop") forwards to kommunen@herning.dk`) {
		t.Errorf("err = %v", err)
	}
	if err := sampleRules(t).forwardsNotTo("kommunen@herning.dk"); err != nil {
		t.Errorf("the sample rules: %v", err)
	}
}
