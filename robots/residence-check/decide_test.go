package main

import (
	"testing"
	"time"
)

func TestQuarterIsCountedInDanishTime(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		{"the scheduled run on 1 July, 06:00 CEST", time.Date(2025, time.July, 1, 4, 0, 0, 0, time.UTC), "2025-Q3"},
		{"New Year's night: still December in UTC", time.Date(2024, time.December, 31, 23, 30, 0, 0, time.UTC), "2025-Q1"},
		{"last minute of March, CEST", time.Date(2025, time.March, 31, 21, 59, 0, 0, time.UTC), "2025-Q1"},
		{"first minute of April, CEST", time.Date(2025, time.March, 31, 22, 0, 0, 0, time.UTC), "2025-Q2"},
		{"1 October, 06:00 CEST", time.Date(2025, time.October, 1, 4, 0, 0, 0, time.UTC), "2025-Q4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := quarterOf(tt.at.In(copenhagen)); got != tt.want {
				t.Errorf("quarterOf(%s) = %s, want %s", tt.at, got, tt.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	checkDate := time.Date(2025, time.July, 1, 0, 0, 0, 0, copenhagen)
	tests := []struct {
		name        string
		citizen     citizen
		wantConfirm bool
		wantReason  string
	}{
		{"EU citizen", citizen{EUCitizen: true}, true, ""},
		{"valid permit", citizen{PermitExpires: "2026-03-31"}, true, ""},
		{"permit valid through the check date", citizen{PermitExpires: "2025-07-01"}, true, ""},
		{"permit expired the day before", citizen{PermitExpires: "2025-06-30"}, false, "residence permit expired on 2025-06-30"},
		{"no permit", citizen{}, false, "no residence permit registered"},
		{"mail returned", citizen{EUCitizen: true, MailReturned: true}, false, "letters to the registered address were returned"},
		{"both", citizen{PermitExpires: "2024-01-01", MailReturned: true}, false, "residence permit expired on 2024-01-01; letters to the registered address were returned"},
		{"unreadable expiry", citizen{PermitExpires: "31-12-2026"}, false, `permit expiry "31-12-2026" cannot be read`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decide(tt.citizen, checkDate)
			if d.confirmed != tt.wantConfirm || d.reason() != tt.wantReason {
				t.Errorf("decide = %v %q, want %v %q", d.confirmed, d.reason(), tt.wantConfirm, tt.wantReason)
			}
		})
	}
}
