package sandbox

import (
	"fmt"
	"net/http"
)

// Certificate is a criminal-record certificate (straffeattest or
// børneattest) received for an employee, waiting to be evaluated and
// journaled.
type Certificate struct {
	ID         string `json:"id"`
	EmployeeID string `json:"employeeId"`
	Name       string `json:"name"`
	Position   string `json:"position"`
	Kind       string `json:"kind"`
	Received   string `json:"received"`
	// Offences lists what the certificate records; empty is a clean
	// certificate.
	Offences []string `json:"offences"`
	// JournalID is the journal entry, once journaled.
	JournalID string `json:"journalId,omitempty"`
	// FlaggedForHR: a task for HR exists (non-clean certificates).
	FlaggedForHR bool `json:"flaggedForHR"`
	// Done: journaled, and flagged for HR if not clean.
	Done bool `json:"done"`
}

// JournalRequest journals a document on a case: a certificate in an
// employee's personnel case (CertificateID), or another document (a mail)
// on one of ESDH's cases (Document).
type JournalRequest struct {
	CertificateID string `json:"certificateId,omitempty"`
	// Document is what is journaled when it is not a certificate; the
	// case must then be one of ESDH's (GET /esdh/cases).
	Document       *Reference `json:"document,omitempty"`
	CaseNumber     string     `json:"caseNumber"`
	Title          string     `json:"title"`
	Classification string     `json:"classification"`
}

// JournalEntry is a journaled document.
type JournalEntry struct {
	JournalRequest
	ID          string `json:"id"`
	Key         string `json:"key"`
	JournaledBy string `json:"journaledBy"`
	JournaledAt string `json:"journaledAt"`
}

// listCertificates answers GET /certificates?status=pending|done.
func (s *Server) listCertificates(w http.ResponseWriter, r *http.Request) {
	status := r.URL.Query().Get("status")
	if status != "" && status != "pending" && status != "done" {
		writeError(w, http.StatusBadRequest, "status %q: want pending or done", status)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := []Certificate{}
	for _, c := range s.certificates {
		if status == "" || (status == "done") == c.Done {
			list = append(list, *c)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"certificates": list})
}

// getCertificate answers GET /certificates/{id}: one certificate, for a
// robot that takes certificates from a work queue.
func (s *Server) getCertificate(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.certificates {
		if c.ID == id {
			writeJSON(w, http.StatusOK, *c)
			return
		}
	}
	writeError(w, http.StatusNotFound, "no certificate %q", id)
}

// journalDocument answers POST /esdh/journal, after the rate limit: ESDH
// answers 429 with Retry-After to a client that is too fast, repeats
// included.
func (s *Server) journalDocument(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	allowed, retryAfter := s.journalLimit.take(s.cfg.Now())
	if !allowed {
		s.rejected429++
	}
	s.mu.Unlock()
	if !allowed {
		writeTooManyRequests(w, retryAfter)
		return
	}
	key, req, canonical, ok := readWrite[JournalRequest](w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if replayOrConflict(w, &s.journal, key, canonical) {
		return
	}
	c, status, problem := s.journaled(req)
	if status != 0 {
		writeError(w, status, "%s", problem)
		return
	}
	entry := JournalEntry{JournalRequest: req, ID: seqID("J", s.journal.len()+1, 6), Key: key, JournaledBy: actor(r), JournaledAt: s.timestamp()}
	s.journal.add(key, canonical, entry)
	if c != nil {
		if c.JournalID == "" {
			c.JournalID = entry.ID
		}
		c.Done = c.isDone()
	}
	s.log.Info("document journaled", "key", key, "case", req.CaseNumber, "by", entry.JournaledBy)
	writeJSON(w, http.StatusCreated, entry)
}

// journaled is what a journal request is about: its certificate, if any,
// or a status and a problem when ESDH refuses it. s.mu is held.
func (s *Server) journaled(req JournalRequest) (c *Certificate, status int, problem string) {
	switch {
	case req.CaseNumber == "" || req.Title == "":
		return nil, http.StatusUnprocessableEntity, "a journal entry needs a case number and a title"
	case req.CertificateID != "" && req.Document != nil:
		return nil, http.StatusUnprocessableEntity, "a journal entry is about a certificate or a document, not both"
	case req.CertificateID != "":
		if c = s.certificate(req.CertificateID); c == nil {
			return nil, http.StatusNotFound, fmt.Sprintf("no certificate %s", req.CertificateID)
		}
		return c, 0, ""
	case req.Document == nil || req.Document.ID == "":
		return nil, http.StatusUnprocessableEntity, fmt.Sprintf(`a journal entry needs a certificateId or a document `+
			`{"kind": %q, "id": "<Message-ID>"} or {"kind": %q, "id": "<letter id>"}`, DocMail, DocSewerLetter)
	}
	status, problem = s.documentOnCase(*req.Document, req.CaseNumber)
	return nil, status, problem
}

// listJournal answers GET /esdh/journal.
func (s *Server) listJournal(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"entries": s.journal.records()})
}

func (c *Certificate) isDone() bool {
	return c.JournalID != "" && (len(c.Offences) == 0 || c.FlaggedForHR)
}

func (s *Server) certificate(id string) *Certificate {
	for _, c := range s.certificates {
		if c.ID == id {
			return c
		}
	}
	return nil
}
