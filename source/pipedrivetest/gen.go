package pipedrivetest

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"time"
)

// Deterministic data: every value is a pure function of (seed, entity tag,
// id, version, salt) through a splitmix64 hash, so record i can be rendered
// at any moment without keeping it in memory.

func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// hasher is the hash of one record version; draw successive values with n().
type hasher struct{ h uint64 }

func newHasher(seed int64, tag uint64, id int64, ver int) hasher {
	return hasher{mix(uint64(seed) ^ mix(tag^mix(uint64(id)^mix(uint64(ver)+7))))}
}

func (h *hasher) next() uint64 { h.h = mix(h.h); return h.h }

// n returns a value in [0, m).
func (h *hasher) n(m int) int {
	if m <= 0 {
		return 0
	}
	return int(h.next() % uint64(m))
}

func (h *hasher) pick(list []string) string { return list[h.n(len(list))] }

var (
	firstNames = []string{"Anna", "Ben", "Carla", "David", "Eva", "Frank", "Grete", "Hugo", "Ines", "Jonas", "Kaisa", "Lars", "Maria", "Nils", "Olga", "Pedro", "Quinn", "Rita", "Sami", "Tiina", "Uma", "Victor", "Wen", "Xavier", "Yara", "Zoe", "Zoë", "O'Brien"}
	lastNames  = []string{"Tamm", "Smith", "Müller", "Rossi", "Dubois", "Kask", "Nowak", "García", "Silva", "Jensen", "Kim", "Ivanova", "O'Neil", "Lee", "Novak", "Berg"}
	orgWords1  = []string{"Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent", "Tyrell", "Cyberdyne", "Nordic", "Baltic", "Blue Fin", "Red Oak", "Quantum"}
	orgWords2  = []string{"Industries", "Labs", "Logistics", "Systems", "Foods", "Consulting", "Media", "Energy", "Holdings", "& Sons", "GmbH", "OÜ", "Ltd", "Inc"}
	dealWords  = []string{"license", "renewal", "pilot", "expansion", "support contract", "onboarding", "hardware", "consulting", "integration", "annual plan"}
	currencies = []string{"EUR", "USD", "GBP", "SEK"}
	cities     = []struct{ city, country, zip string }{{"Tallinn", "Estonia", "10111"}, {"New York", "United States", "10001"}, {"Berlin", "Germany", "10115"}, {"Lisbon", "Portugal", "1100-148"}, {"London", "United Kingdom", "EC1A 1BB"}, {"Prague", "Czechia", "11000"}}
	streets    = []string{"Main Street", "Narva mnt", "Hauptstraße", "Rua Augusta", "Baker Street", "Národní"}
	subjects   = []string{"Call back", "Demo", "Follow-up email", "Quarterly review", "Send proposal", "Lunch", "Contract signing"}
	noteTexts  = []string{"Customer asked for a discount.", "Sent the <b>proposal</b> \"v2\".", "Decision maker is on holiday until next month.", "Needs SSO & audit logs.", "Line one\nLine two"}
	productNms = []string{"Widget", "Gadget", "Sprocket", "Seat license", "Support hours", "Training day", "API add-on", "Storage TB"}
)

func (h *hasher) personName() (first, last string) { return h.pick(firstNames), h.pick(lastNames) }
func (h *hasher) orgName() string                  { return h.pick(orgWords1) + " " + h.pick(orgWords2) }

// hexKey is a deterministic 40-hex key (custom field hashes, like Pipedrive's).
func hexKey(seed int64, parts ...string) string {
	s := sha1.New()
	s.Write([]byte(strconv.FormatInt(seed, 10)))
	for _, p := range parts {
		s.Write([]byte{0})
		s.Write([]byte(p))
	}
	return hex.EncodeToString(s.Sum(nil))
}

// uuidFor is a deterministic version-4-shaped UUID for (seed, tag, id).
func uuidFor(seed int64, tag uint64, id int64) string {
	a := newHasher(seed, tag, id, -1)
	x, y := a.next(), a.next()
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(x >> (8 * i))
		b[8+i] = byte(y >> (8 * i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// dayOf truncates t to its UTC day.
func dayOf(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }
