package main

import (
	"errors"
	"strings"
	"testing"
)

func TestDecide(t *testing.T) {
	rules := sampleRules(t)
	caseworkerRules := Rules{Rules: []Rule{{Name: "doctors", SenderDomains: []string{"laegehuset.dk"}, CPRInPDF: true, ForwardToCaseworker: true}}}
	one := []openCase{{Number: "S-2026-00020", Caseworker: "mette.hansen@herning.dk"}}
	two := []openCase{{Number: "S-2026-00040"}, {Number: "S-2026-00041"}}
	tests := []struct {
		name        string
		rules       Rules
		letter      letter
		cases       []openCase
		lookupErr   error
		want        placement
		wantErr     bool
		wantInWords string
	}{
		{
			name:   "forwarded by subject",
			rules:  rules,
			letter: letter{subject: "Byggetilladelse", facts: facts{SenderDomain: "arkitekt-midt.dk", Subject: "Byggetilladelse"}},
			want:   placement{Action: forward, Rule: "building", ForwardTo: "byg@herning.dk"},
		},
		{
			name:   "journaled on the person's one open case",
			rules:  rules,
			letter: letter{facts: facts{CPRs: []string{"010180-1234"}}},
			cases:  one,
			want:   placement{Action: journal, Rule: "case-documents", JournalOn: "S-2026-00020"},
		},
		{
			name:   "forwarded to the case's caseworker",
			rules:  caseworkerRules,
			letter: letter{facts: facts{SenderDomain: "laegehuset.dk", CPRs: []string{"010180-1234"}}},
			cases:  one,
			want:   placement{Action: forward, Rule: "doctors", ForwardTo: "mette.hansen@herning.dk"},
		},
		{
			name:        "two open cases: a person chooses, and sees no whole CPR number",
			rules:       rules,
			letter:      letter{facts: facts{CPRs: []string{"010180-1234"}}},
			cases:       two,
			wantInWords: "the PDF names a person (010180-****) with 2 open cases (S-2026-00040, S-2026-00041): choose the case",
		},
		{
			name:        "no open case",
			rules:       rules,
			letter:      letter{facts: facts{CPRs: []string{"010180-1234"}}},
			wantInWords: "with no open case in ESDH",
		},
		{
			name:        "two persons in the PDF",
			rules:       rules,
			letter:      letter{facts: facts{CPRs: []string{"010180-1234", "020290-2345"}}},
			wantInWords: "the PDFs name 2 persons (010180-****, 020290-****)",
		},
		{
			name:        "no rule: the sender's subject, bounded",
			rules:       rules,
			letter:      letter{subject: strings.Repeat("ø", 100), unreadablePDFs: 1, facts: facts{SenderDomain: "hotmail.com"}},
			wantInWords: `no rule places this mail (from hotmail.com, subject "` + strings.Repeat("ø", 80) + `…"): forward it by hand, or add a rule; 1 PDF attachment(s) could not be read`,
		},
		{
			name:        "a case without a caseworker: a person forwards it",
			rules:       caseworkerRules,
			letter:      letter{facts: facts{SenderDomain: "laegehuset.dk", CPRs: []string{"010180-1234"}}},
			cases:       []openCase{{Number: "S-2026-00020"}},
			wantInWords: "case S-2026-00020 of the person (010180-****) has no caseworker",
		},
		{
			name:      "ESDH down is a failure, not a person's work",
			rules:     rules,
			letter:    letter{facts: facts{CPRs: []string{"010180-1234"}}},
			lookupErr: errors.New("503"),
			wantErr:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decide(tt.rules, tt.letter, func(string) ([]openCase, error) { return tt.cases, tt.lookupErr })
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if tt.wantInWords != "" {
				if !strings.Contains(got.Exception, tt.wantInWords) || got.Action != toPerson || got.ForwardTo != "" || got.JournalOn != "" {
					t.Errorf("placement %+v, want an exception saying %q", got, tt.wantInWords)
				}
				if strings.Contains(got.Exception, "1234") || strings.Contains(got.Exception, "2345") {
					t.Errorf("the reason shows a whole CPR number: %s", got.Exception)
				}
				return
			}
			if !tt.wantErr && got != tt.want {
				t.Errorf("placement %+v, want %+v", got, tt.want)
			}
		})
	}
}
