package main

import "testing"

func TestEvaluateAndJournalEntry(t *testing.T) {
	tests := []struct {
		name      string
		cert      certificate
		wantClean bool
		wantEntry journalEntry
	}{
		{
			name:      "clean straffeattest",
			cert:      certificate{ID: "SA-000001", EmployeeID: "E-10001", Kind: "straffeattest", Position: "sagsbehandler", Received: "2025-06-30", Offences: []string{}},
			wantClean: true,
			wantEntry: journalEntry{CertificateID: "SA-000001", CaseNumber: "P-E-10001", Title: "Straffeattest, sagsbehandler, modtaget 2025-06-30", Classification: "clean"},
		},
		{
			name:      "børneattest with an offence",
			cert:      certificate{ID: "SA-000003", EmployeeID: "E-20002", Kind: "børneattest", Position: "pædagog", Received: "2025-07-01", Offences: []string{"straffelovens § 244 (vold), 2019"}},
			wantClean: false,
			wantEntry: journalEntry{CertificateID: "SA-000003", CaseNumber: "P-E-20002", Title: "Børneattest, pædagog, modtaget 2025-07-01", Classification: "remarks"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := evaluate(tt.cert)
			if v.clean != tt.wantClean {
				t.Errorf("clean = %v, want %v", v.clean, tt.wantClean)
			}
			if got := journalEntryFor(tt.cert, v); got != tt.wantEntry || got.key() != tt.cert.ID {
				t.Errorf("entry %+v key %q, want %+v keyed by the certificate id", got, got.key(), tt.wantEntry)
			}
		})
	}
}
