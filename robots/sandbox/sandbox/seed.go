package sandbox

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Seeds: names and places the generated records are made of. The data is
// invented; any likeness to a real person is chance.
var (
	firstNames = []string{
		"Anne", "Mette", "Kirsten", "Hanne", "Lene", "Camilla", "Ida", "Freja",
		"Peter", "Jens", "Lars", "Michael", "Henrik", "Søren", "Mads", "Jonas", "Oliver", "Aksel",
	}
	lastNames = []string{
		"Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen",
		"Sørensen", "Rasmussen", "Jørgensen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Poulsen", "Kjær",
	}
	streets   = []string{"Algade", "Hestetorvet", "Møllehusvej", "Kildegårdsvej", "Søndergade", "Vestergade", "Skolevej", "Bøgevej", "Egevej", "Havnevej"}
	postcodes = map[string]string{"Roskilde": "4000 Roskilde", "Lejre": "4320 Lejre", "Køge": "4600 Køge", "Herning": "7400 Herning", "Aalborg": "9000 Aalborg"}
	positions = []string{"pædagog", "lærer", "social- og sundhedshjælper", "sagsbehandler", "dagplejer", "IT-medarbejder", "rengøringsassistent"}
	offences  = []string{
		"straffelovens § 244 (vold), 2019",
		"færdselslovens § 117 (spirituskørsel), 2021",
		"straffelovens § 276 (tyveri), 2018",
		"lov om euforiserende stoffer § 3, 2020",
	}
	nationalities = []struct {
		country string
		eu      bool
		first   []string
		last    []string
	}{
		{"Polen", true, []string{"Anna", "Piotr", "Katarzyna", "Tomasz"}, []string{"Nowak", "Kowalski", "Wiśniewska"}},
		{"Rumænien", true, []string{"Andrei", "Elena", "Ioana", "Mihai"}, []string{"Popescu", "Ionescu", "Dumitru"}},
		{"Tyskland", true, []string{"Lukas", "Lena", "Jonas", "Marie"}, []string{"Müller", "Schmidt", "Weber"}},
		{"Litauen", true, []string{"Lukas", "Emilija", "Matas"}, []string{"Kazlauskas", "Petrauskienė"}},
		{"Ukraine", false, []string{"Olena", "Dmytro", "Iryna", "Oleksandr"}, []string{"Shevchenko", "Bondarenko", "Kovalenko"}},
		{"Indien", false, []string{"Priya", "Arjun", "Ananya", "Rahul"}, []string{"Sharma", "Patel", "Iyer"}},
		{"Filippinerne", false, []string{"Maria", "Jose", "Angelica"}, []string{"Santos", "Reyes", "Cruz"}},
		{"Syrien", false, []string{"Ahmad", "Rania", "Omar", "Lina"}, []string{"Haddad", "Khalil", "Nasser"}},
		{"USA", false, []string{"Emily", "Michael", "Sarah"}, []string{"Smith", "Johnson", "Brown"}},
	}
)

// dateLayout is how dates appear in JSON.
const dateLayout = "2006-01-02"

// seed fills s with cfg's records. Which records are exceptions follows
// their number, not chance, so that even a small sandbox has some: every
// 12th move-in (from the 7th) has address protection, every 8th
// certificate (from the 3rd) is not clean, every 40th foreign citizen (from
// the 17th) has an expired permit and every 50th (from the 29th) has mail
// returned; newOilTank and newSewerProperty say theirs. Everything else
// comes from a generator seeded with cfg.Seed.
func seed(s *Server, cfg Config) {
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed))
	today := cfg.Now().UTC().Truncate(24 * time.Hour)
	for i := 1; i <= cfg.MoveIns; i++ {
		s.moveIns = append(s.moveIns, newMoveIn(rng, i, cfg.Municipalities[(i-1)%len(cfg.Municipalities)], today))
	}
	for i := 1; i <= cfg.Certificates; i++ {
		s.certificates = append(s.certificates, newCertificate(rng, i, today))
	}
	for i := 1; i <= cfg.ForeignCitizens; i++ {
		s.citizens = append(s.citizens, newCitizen(rng, i, today))
	}
	for i := 1; i <= cfg.Cases; i++ {
		s.cases = append(s.cases, newCase(rng, i)...)
	}
	for i := 1; i <= cfg.OilTanks; i++ {
		s.oilTanks = append(s.oilTanks, newOilTank(rng, i, cfg.OilTankExceptionsFrom))
	}
	for i := 1; i <= cfg.SewerProperties; i++ {
		s.properties = append(s.properties, newSewerProperty(rng, i, today))
	}
}

func newMoveIn(rng *rand.Rand, i int, municipality string, today time.Time) *MoveIn {
	m := &MoveIn{
		ID:               seqID("MI", i, 5),
		ResidentID:       fmt.Sprintf("R-%06d", 100000+rng.IntN(900000)),
		Name:             pick(rng, firstNames) + " " + pick(rng, lastNames),
		Municipality:     municipality,
		Address:          fmt.Sprintf("%s %d, %s", pick(rng, streets), 1+rng.IntN(120), postcode(municipality)),
		MovedIn:          today.AddDate(0, 0, -1-rng.IntN(5)).Format(dateLayout),
		HasChildren:      rng.Float64() < 0.35,
		AddressProtected: i%12 == 7,
		Status:           MoveInNew,
	}
	if m.AddressProtected {
		m.Address = ""
	}
	return m
}

func newCertificate(rng *rand.Rand, i int, today time.Time) *Certificate {
	c := &Certificate{
		ID:         seqID("SA", i, 6),
		EmployeeID: fmt.Sprintf("E-%05d", 10000+rng.IntN(90000)),
		Name:       pick(rng, firstNames) + " " + pick(rng, lastNames),
		Position:   pick(rng, positions),
		Kind:       []string{"straffeattest", "børneattest"}[rng.IntN(2)],
		Received:   today.AddDate(0, 0, -rng.IntN(3)).Format(dateLayout),
		Offences:   []string{},
	}
	if i%8 == 3 {
		c.Offences = []string{pick(rng, offences)}
	}
	return c
}

func newCitizen(rng *rand.Rand, i int, today time.Time) *ForeignCitizen {
	n := nationalities[rng.IntN(len(nationalities))]
	expired := i%40 == 17
	for expired && n.eu {
		// EU citizens have no permit to expire.
		n = nationalities[rng.IntN(len(nationalities))]
	}
	c := &ForeignCitizen{
		ID:           seqID("FC", i, 5),
		Name:         pick(rng, n.first) + " " + pick(rng, n.last),
		Nationality:  n.country,
		EUCitizen:    n.eu,
		Address:      fmt.Sprintf("%s %d, %s", pick(rng, streets), 1+rng.IntN(120), postcode("Herning")),
		MailReturned: i%50 == 29,
	}
	switch {
	case expired:
		c.PermitExpires = today.AddDate(0, 0, -30-rng.IntN(60)).Format(dateLayout)
	case !c.EUCitizen:
		c.PermitExpires = today.AddDate(0, 0, 200+rng.IntN(1200)).Format(dateLayout)
	}
	return c
}

func pick(rng *rand.Rand, list []string) string { return list[rng.IntN(len(list))] }

func postcode(municipality string) string {
	if p, ok := postcodes[municipality]; ok {
		return p
	}
	return municipality
}
