package main

import (
	"slices"
	"strings"
	"testing"
)

func TestReadLetter(t *testing.T) {
	mime := func(parts ...string) string {
		return "From: =?utf-8?q?S=C3=B8ren?= <soren@advokathuset.dk>\r\nSubject: =?iso-8859-1?q?Sp=F8rgsm=E5l?=\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nHej\r\n" + strings.Join(parts, "") + "--b--\r\n"
	}
	garbage := "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=x.pdf\r\n\r\n%PDF-1.4 not really\r\n"
	tests := []struct {
		name           string
		raw            string
		wantCPRs       []string
		wantUnreadable int
	}{
		{"a mail without attachments", mime(), nil, 0},
		{"a broken PDF is unreadable, not a crash", mime(garbage), nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := readLetter([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if l.from != "soren@advokathuset.dk" || l.subject != "Spørgsmål" || l.facts.SenderDomain != "advokathuset.dk" {
				t.Errorf("from %q subject %q domain %q", l.from, l.subject, l.facts.SenderDomain)
			}
			if !slices.Equal(l.facts.CPRs, tt.wantCPRs) || l.unreadablePDFs != tt.wantUnreadable {
				t.Errorf("CPRs %v unreadable %d, want %v and %d", l.facts.CPRs, l.unreadablePDFs, tt.wantCPRs, tt.wantUnreadable)
			}
		})
	}
}

func TestCPRNumbers(t *testing.T) {
	got := cprNumbers("CPR-nr.: 010180-1234, igen 010180-1234; telefon 12345678-1234? dato 320180-1234, 011380-1234; 2020-01-01")
	if want := []string{"010180-1234"}; !slices.Equal(got, want) {
		t.Errorf("cprNumbers = %v, want %v", got, want)
	}
	if masked("010180-1234") != "010180-****" {
		t.Errorf("masked = %q", masked("010180-1234"))
	}
}
