package workqueue

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNext(t *testing.T) {
	tests := []struct {
		from        State
		action      Action
		attempts    int
		want        State
		wantRefused bool
	}{
		{from: New, action: ActionTake, want: InProgress},
		{from: InProgress, action: ActionDone, attempts: 1, want: Done},
		{from: InProgress, action: ActionBusinessException, attempts: 1, want: BusinessException},
		{from: InProgress, action: ActionSystemException, attempts: 1, want: New},
		{from: InProgress, action: ActionSystemException, attempts: 3, want: Failed},
		{from: InProgress, action: ActionAbandon, attempts: 2, want: New},
		{from: InProgress, action: ActionAbandon, attempts: 3, want: Failed},
		{from: BusinessException, action: ActionRetry, want: New},
		{from: Failed, action: ActionRetry, want: New},
		{from: BusinessException, action: ActionHandle, want: Handled},
		{from: Failed, action: ActionHandle, want: Handled},

		{from: InProgress, action: ActionTake, wantRefused: true},
		{from: Done, action: ActionTake, wantRefused: true},
		{from: New, action: ActionDone, wantRefused: true},
		{from: Done, action: ActionDone, wantRefused: true},
		{from: BusinessException, action: ActionSystemException, wantRefused: true},
		{from: New, action: ActionAbandon, wantRefused: true},
		{from: New, action: ActionRetry, wantRefused: true},
		{from: InProgress, action: ActionRetry, wantRefused: true},
		{from: Done, action: ActionRetry, wantRefused: true},
		{from: Handled, action: ActionRetry, wantRefused: true},
		{from: Done, action: ActionHandle, wantRefused: true},
		{from: Handled, action: ActionHandle, wantRefused: true},
	}
	for _, tt := range tests {
		t.Run(string(tt.from)+"/"+string(tt.action), func(t *testing.T) {
			got, err := Next(tt.from, tt.action, tt.attempts, 3)
			if tt.wantRefused {
				if !errors.Is(err, ErrIllegalTransition) {
					t.Fatalf("Next = %s, %v; want ErrIllegalTransition", got, err)
				}
				if !strings.Contains(err.Error(), string(tt.from)) || !strings.Contains(err.Error(), string(tt.action)) {
					t.Errorf("error %q does not name the state and the action", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Next = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestBackoffDoublesUpToTenMinutes(t *testing.T) {
	tests := []struct {
		attempts int
		want     time.Duration
	}{
		{1, 10 * time.Second}, {2, 20 * time.Second}, {3, 40 * time.Second},
		{6, 320 * time.Second}, {7, 10 * time.Minute}, {50, 10 * time.Minute},
	}
	for _, tt := range tests {
		if got := Backoff(tt.attempts); got != tt.want {
			t.Errorf("Backoff(%d) = %s, want %s", tt.attempts, got, tt.want)
		}
	}
}

func TestCheckDocument(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		wantErr string
	}{
		{name: "an object", doc: `{"cpr":"0101701234","letter":"welcome"}`},
		{name: "an object with spaces around", doc: " \n{}\n"},
		{name: "not JSON", doc: `{"cpr":`, wantErr: "not valid JSON"},
		{name: "an array", doc: `[1,2]`, wantErr: "must be a JSON object"},
		{name: "a string", doc: `"x"`, wantErr: "must be a JSON object"},
		{name: "empty", doc: ``, wantErr: "not valid JSON"},
		// FuzzItem found these accepted: Unicode spaces are not JSON's.
		{name: "a line separator before the object", doc: "\u2028{}", wantErr: "not valid JSON"},
		{name: "a no-break space after the object", doc: "{}\u00a0", wantErr: "not valid JSON"},
		{name: "too large", doc: `{"x":"` + strings.Repeat("a", MaxPayloadBytes) + `"}`, wantErr: "more than the 65536 allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckDocument("payload", []byte(tt.doc))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.wantErr != "" && (!errors.Is(err, ErrInvalidItem) || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want ErrInvalidItem saying %q", err, tt.wantErr)
			}
		})
	}
}

func TestCheckReferenceAndReason(t *testing.T) {
	if err := CheckReference("CPR 010170-1234 / sag 2026-4711"); err != nil {
		t.Errorf("ordinary reference refused: %v", err)
	}
	// U+0085 and U+009B are C1 control characters (NEL, CSI), which FuzzItem
	// found accepted.
	for _, bad := range []string{strings.Repeat("r", MaxReferenceBytes+1), "a\nb", "a\x1b[2Jb", "a\u009b2Jb", "a\u0085b", "a\u007fb"} {
		if err := CheckReference(bad); !errors.Is(err, ErrInvalidItem) {
			t.Errorf("reference %q accepted", bad)
		}
	}
	if err := CheckReason(strings.Repeat("x", MaxReasonBytes+1)); !errors.Is(err, ErrInvalidItem) {
		t.Errorf("oversized reason accepted")
	}
}

func TestCheckPriority(t *testing.T) {
	for _, ok := range []int32{-MaxPriority, 0, 10, MaxPriority} {
		if err := CheckPriority(ok); err != nil {
			t.Errorf("priority %d refused: %v", ok, err)
		}
	}
	for _, bad := range []int32{-MaxPriority - 1, MaxPriority + 1, 1 << 30} {
		if err := CheckPriority(bad); !errors.Is(err, ErrInvalidItem) || !strings.Contains(err.Error(), "-1000 to 1000") {
			t.Errorf("priority %d: %v, want refused with the range", bad, err)
		}
	}
}

func TestPrintableTurnsControlCharactersIntoSpaces(t *testing.T) {
	if got := Printable("ESDH answered 503\n\x1b[2Jgo\u009b away"); got != "ESDH answered 503  [2Jgo  away" {
		t.Errorf("Printable = %q", got)
	}
	if got := Printable("æøå, Løgstør"); got != "æøå, Løgstør" {
		t.Errorf("Printable changed ordinary text: %q", got)
	}
}

func TestReferenceHashIsKeyedAndPerQueue(t *testing.T) {
	a := ReferenceHash([]byte("key-1"), "hr", "certificates", "0101701234")
	if bytes.Equal(a, ReferenceHash([]byte("key-2"), "hr", "certificates", "0101701234")) {
		t.Error("the hash does not depend on the key")
	}
	if bytes.Equal(a, ReferenceHash([]byte("key-1"), "hr", "letters", "0101701234")) {
		t.Error("two queues share a reference hash")
	}
	if !bytes.Equal(a, ReferenceHash([]byte("key-1"), "hr", "certificates", "0101701234")) {
		t.Error("not deterministic")
	}
}
