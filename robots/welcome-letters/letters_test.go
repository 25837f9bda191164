package main

import "testing"

func TestLetterForChoosesTheTemplateByChildren(t *testing.T) {
	tests := []struct {
		name         string
		moveIn       moveIn
		wantTemplate string
		wantSubject  string
		wantKey      string
	}{
		{
			name:         "single resident",
			moveIn:       moveIn{ID: "MI-00001", ResidentID: "R-123456"},
			wantTemplate: "welcome",
			wantSubject:  "Velkommen til Roskilde Kommune",
			wantKey:      "R-123456/MI-00001",
		},
		{
			name:         "household with children",
			moveIn:       moveIn{ID: "MI-00004", ResidentID: "R-654321", HasChildren: true},
			wantTemplate: "welcome-children",
			wantSubject:  "Velkommen til Roskilde Kommune – til jer med børn",
			wantKey:      "R-654321/MI-00004",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := letterFor(tt.moveIn, "Roskilde")
			if l.Template != tt.wantTemplate || l.Subject != tt.wantSubject || l.key() != tt.wantKey {
				t.Errorf("letter %+v key %q, want %s %q %q", l, l.key(), tt.wantTemplate, tt.wantSubject, tt.wantKey)
			}
		})
	}
}
