package sandbox

import (
	"fmt"
	"math/rand/v2"
	"net/http"
)

// RefOilTank is what a letter about a BBR unit with an outdated oil tank
// names as its kind (LetterRequest.About).
const RefOilTank = "oil-tank"

// Owner is the owner of a building or property, as the registers give it.
type Owner struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Address is empty when AddressProtected: the register does not give
	// it out.
	Address string `json:"address,omitempty"`
	// DigitalPost: the owner has a Digital Post mailbox. Without one (an
	// owner exempt from Digital Post) a letter must go by paper, which a
	// person sends.
	DigitalPost bool `json:"digitalPost"`
	// AddressProtected is name and address protection
	// (navne- og adressebeskyttelse).
	AddressProtected bool `json:"addressProtected"`
}

// OilTank is a BBR unit (a building's technical installation) with an oil
// tank old enough that its owner must be reminded to have it emptied,
// removed or inspected: the letters of Herning's Olli.
type OilTank struct {
	// UnitID is the BBR unit's id.
	UnitID  string `json:"unitId"`
	Address string `json:"address"`
	// Tank is "nedgravet" (underground) or "overjordisk" (above ground).
	Tank         string `json:"tank"`
	VolumeLitres int    `json:"volumeLitres"`
	// Installed is the year the tank was made.
	Installed int   `json:"installed"`
	Owner     Owner `json:"owner"`
	// ReminderLetterID is the Digital Post letter that reminded the owner,
	// once one was sent.
	ReminderLetterID string `json:"reminderLetterId,omitempty"`
}

var tankKinds = []string{"nedgravet", "overjordisk"}

// newOilTank seeds unit i. Which owners are exceptions follows the number,
// from the unit exceptionsFrom on (units before it have ordinary owners,
// so that a test can place them): every 20th from the 9th has name and
// address protection, every 20th from the 15th has no Digital Post
// mailbox.
func newOilTank(rng *rand.Rand, i, exceptionsFrom int) *OilTank {
	address := fmt.Sprintf("%s %d, %s", pick(rng, streets), 1+rng.IntN(120), postcode("Herning"))
	exception := i >= exceptionsFrom
	t := &OilTank{
		UnitID:       seqID("BBR", i, 6),
		Address:      address,
		Tank:         pick(rng, tankKinds),
		VolumeLitres: 1200 + 100*rng.IntN(40),
		Installed:    1965 + rng.IntN(20),
		Owner: Owner{
			ID:               seqID("EJ", i, 6),
			Name:             pick(rng, firstNames) + " " + pick(rng, lastNames),
			Address:          address,
			DigitalPost:      !exception || i%20 != 15,
			AddressProtected: exception && i%20 == 9,
		},
	}
	if t.Owner.AddressProtected {
		t.Owner.Address = ""
	}
	return t
}

// listOilTanks answers GET /bbr/oil-tanks?reminded=true|false: the units
// with outdated oil tanks, and whether their owner has had a reminder.
func (s *Server) listOilTanks(w http.ResponseWriter, r *http.Request) {
	reminded := r.URL.Query().Get("reminded")
	if reminded != "" && reminded != "true" && reminded != "false" {
		writeError(w, http.StatusBadRequest, "reminded %q: want true or false", reminded)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := []OilTank{}
	for _, t := range s.oilTanks {
		if reminded == "" || (reminded == "true") == (t.ReminderLetterID != "") {
			list = append(list, *t)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"oilTanks": list})
}

// getOilTank answers GET /bbr/oil-tanks/{unitId}.
func (s *Server) getOilTank(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("unitId")
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.oilTank(id); t != nil {
		writeJSON(w, http.StatusOK, *t)
		return
	}
	writeError(w, http.StatusNotFound, "no BBR unit %q with an outdated oil tank", id)
}

// oilTank finds a unit by id; s.mu is held.
func (s *Server) oilTank(id string) *OilTank {
	for _, t := range s.oilTanks {
		if t.UnitID == id {
			return t
		}
	}
	return nil
}

// OilTanks returns the BBR units with outdated oil tanks.
func (s *Server) OilTanks() []OilTank { return copyAll(s, s.oilTanks) }
