package sandbox

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
)

// Case is an ESDH case about a person: where a caseworker keeps what the
// municipality receives about them, and where Herning's mail robot
// journals a mail whose PDF names the person.
type Case struct {
	Number string `json:"number"`
	Title  string `json:"title"`
	// PartyCPR is the person the case is about, as DDMMYY-SSSS.
	PartyCPR   string `json:"partyCpr"`
	PartyName  string `json:"partyName"`
	Department string `json:"department"`
	// Caseworker is the caseworker's mail address.
	Caseworker string `json:"caseworker"`
	Open       bool   `json:"open"`
}

// DocMail is the kind of a journal entry about a mail, by Message-ID.
const DocMail = "mail"

// DepartmentMailboxes are Herning's departments' and caseworkers'
// addresses, which the sandbox's mail server accepts forwarded mail for.
var DepartmentMailboxes = []string{
	"borgerservice@herning.dk", "byg@herning.dk", "jobcenter@herning.dk", "okonomi@herning.dk", "familie@herning.dk",
	"mette.hansen@herning.dk", "lars.olsen@herning.dk", "kirsten.madsen@herning.dk",
}

// caseDepartments are the departments whose cases are seeded, with the
// kind of case each keeps and the caseworkers' mailboxes.
var caseDepartments = []struct {
	name, title string
	caseworkers []string
}{
	{"Borgerservice", "Pas og kørekort", []string{"borgerservice@herning.dk"}},
	{"Jobcenter", "Sygedagpenge", []string{"mette.hansen@herning.dk", "lars.olsen@herning.dk"}},
	{"Byg og Miljø", "Byggetilladelse", []string{"byg@herning.dk"}},
	{"Familie", "Børnesag", []string{"kirsten.madsen@herning.dk"}},
}

// cprPattern is a CPR number as the register writes it.
var cprPattern = regexp.MustCompile(`^[0-9]{6}-[0-9]{4}$`)

// newCase seeds case i. Which persons are exceptions follows the number:
// every 10th person from the 4th has two open cases (a mail about them
// cannot be placed by the robot alone), every 10th from the 8th has only
// a closed one.
func newCase(rng *rand.Rand, i int) []*Case {
	d := caseDepartments[(i-1)%len(caseDepartments)]
	c := &Case{
		Number:     fmt.Sprintf("S-2026-%05d", i*10),
		Title:      d.title,
		PartyCPR:   fmt.Sprintf("%02d%02d%02d-%04d", 1+rng.IntN(28), 1+rng.IntN(12), rng.IntN(100), 1000+rng.IntN(9000)),
		PartyName:  pick(rng, firstNames) + " " + pick(rng, lastNames),
		Department: d.name,
		Caseworker: pick(rng, d.caseworkers),
		Open:       i%10 != 8,
	}
	if i%10 != 4 {
		return []*Case{c}
	}
	second := *c
	second.Number = fmt.Sprintf("S-2026-%05d", i*10+1)
	second.Title = caseDepartments[i%len(caseDepartments)].title
	second.Department = caseDepartments[i%len(caseDepartments)].name
	return []*Case{c, &second}
}

// listCases answers GET /esdh/cases?cpr=&status=open: a person's cases.
func (s *Server) listCases(w http.ResponseWriter, r *http.Request) {
	cpr, status := r.URL.Query().Get("cpr"), r.URL.Query().Get("status")
	if cpr != "" && !cprPattern.MatchString(cpr) {
		// Not echoed: a CPR number, right or wrong, stays out of answers.
		writeError(w, http.StatusBadRequest, "cpr: want a CPR number as DDMMYY-SSSS")
		return
	}
	if status != "" && status != "open" {
		writeError(w, http.StatusBadRequest, "status %q: want open, or none for every case", status)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := []Case{}
	for _, c := range s.cases {
		if (cpr == "" || c.PartyCPR == cpr) && (status == "" || c.Open) {
			list = append(list, *c)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"cases": list})
}

// esdhCase finds a case by number. s.mu is held.
func (s *Server) esdhCase(number string) *Case {
	for _, c := range s.cases {
		if c.Number == number {
			return c
		}
	}
	return nil
}

// Cases returns ESDH's cases.
func (s *Server) Cases() []Case { return copyAll(s, s.cases) }
