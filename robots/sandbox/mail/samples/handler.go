package samples

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
)

// maxPerRequest bounds one request's mails: a burst, not a flood.
const maxPerRequest = 500

// Sender numbers the samples it delivers, so that each request continues
// where the last stopped: POST /mail/samples {"count": 25}.
type Sender struct {
	Writer Writer
	// SMTPAddr is the mailbox's SMTP server.
	SMTPAddr string

	mu   sync.Mutex
	next int
}

// Sent is the answer: the mails delivered.
type Sent struct {
	Mails []SentMail `json:"mails"`
}

// SentMail is one delivered sample.
type SentMail struct {
	N         int    `json:"n"`
	Kind      Kind   `json:"kind"`
	From      string `json:"from"`
	MessageID string `json:"messageId,omitempty"`
	// CaseNumber is where a case document belongs.
	CaseNumber string `json:"caseNumber,omitempty"`
}

func (s *Sender) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST {\"count\": N}", http.StatusMethodNotAllowed)
		return
	}
	var req struct {
		Count int `json:"count"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1024)).Decode(&req); err != nil || req.Count < 1 || req.Count > maxPerRequest {
		http.Error(w, fmt.Sprintf("want {\"count\": N} with N from 1 to %d", maxPerRequest), http.StatusBadRequest)
		return
	}
	sent, err := s.send(req.Count)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(sent)
}

// send writes and delivers count samples, numbered on from the last.
func (s *Sender) send(count int) (Sent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mails := make([]Mail, 0, count)
	for n := s.next; n < s.next+count; n++ {
		m, err := s.Writer.Write(n)
		if err != nil {
			return Sent{}, err
		}
		mails = append(mails, m)
	}
	// Numbers are not reused, even after a failed delivery: a mail may
	// have arrived before it failed.
	s.next += count
	if err := Deliver(s.SMTPAddr, mails); err != nil {
		return Sent{}, err
	}
	out := Sent{Mails: make([]SentMail, 0, count)}
	for _, m := range mails {
		out.Mails = append(out.Mails, SentMail{N: m.N, Kind: m.Kind, From: m.From, MessageID: m.MessageID, CaseNumber: m.CaseNumber})
	}
	return out, nil
}
