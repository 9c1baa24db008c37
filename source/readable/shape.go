package readable

// The readable shapes: the column kinds, and which parts each Pipedrive
// field type decodes to.

// Kind is the type of a readable column, chosen so SQL, CSV and JSON all
// have a natural home for it.
type Kind uint8

// Column kinds.
const (
	Text    Kind = iota // a string
	Real                // a float64
	Integer             // an int64
	Bool                // a bool
	Date                // "YYYY-MM-DD"
	Time                // "HH:MM:SS"
	JSON                // JSON text (a list: set labels, deal ids; an unknown field type's value)
)

func (k Kind) String() string {
	return [...]string{"text", "real", "integer", "bool", "date", "time", "json"}[k]
}

// Column is one flat readable column of a custom field: the field's own
// (Part "") or one of its parts ("currency", "until", "name", an address
// part). Name is the book's name plus the part's words: "Budget currency".
type Column struct {
	Name  string
	Field string // the field's hash
	Type  string // the field's Pipedrive type
	Part  string
	Kind  Kind
}

// Value is a column's value in one record. Null: no value. Kind may be
// Text where the column's is not, for a value Pipedrive sent in a form pdx
// does not know (kept as its text rather than lost).
type Value struct {
	Null bool
	Kind Kind
	Text string // Text, Date, Time, JSON
	Int  int64
	Real float64
	Bool bool
	// num is a number's JSON text while AppendRecord borrows the record's
	// bytes (no parse and format round trip); "" otherwise.
	num string
}

// part is one part of a field's readable value: its JSON key in the
// readable object, the raw member it comes from (v2: key inside the field's
// object, "" for the value itself; v1: the key suffix), and its kind.
type part struct {
	json, raw string
	kind      Kind
	keyJSON   []byte // `"json":`
}

// addressParts are an address's parts (v2 object keys, v1 key suffixes).
var addressParts = []string{"subpremise", "street_number", "route", "sublocality", "locality",
	"admin_area_level_1", "admin_area_level_2", "country", "postal_code", "formatted_address"}

// shape is how a field type reads: its parts and how its main value decodes.
type shape struct {
	parts []part
	dec   decKind
}

type decKind uint8

const (
	dScalar decKind = iota // the part's kind
	dLabel                 // enum: option id -> label
	dLabels                // set: ids (array or "1,2") -> labels
	dRef                   // an id, or an object {value|id, name}
	dIDs                   // a list of ids
	dAny                   // unknown type: JSON as sent
)

func shapeOf(typ string) shape {
	one := func(k Kind, d decKind) shape { return shape{parts: []part{{kind: k}}, dec: d} }
	switch typ {
	case "varchar", "varchar_auto", "text", "phone", "varchar_options", "visible_to", "status":
		return one(Text, dScalar)
	case "double":
		return one(Real, dScalar)
	case "int":
		return one(Integer, dScalar)
	case "boolean":
		return one(Bool, dScalar)
	case "date":
		return one(Date, dScalar)
	case "time":
		return one(Time, dScalar)
	case "enum":
		return one(Text, dLabel)
	case "set":
		return one(JSON, dLabels)
	case "deals":
		return one(JSON, dIDs)
	case "monetary":
		return shape{parts: []part{{json: "amount", raw: "", kind: Real}, {json: "currency", raw: "currency", kind: Text}}}
	case "daterange", "timerange":
		k := Date
		if typ == "timerange" {
			k = Time
		}
		return shape{parts: []part{{json: "start", raw: "", kind: k}, {json: "until", raw: "until", kind: k}}}
	case "address":
		ps := []part{{json: "value", raw: "", kind: Text}}
		for _, p := range addressParts {
			ps = append(ps, part{json: p, raw: p, kind: Text})
		}
		return shape{parts: ps}
	case "user", "org", "people", "deal", "project", "stage", "activity", "product":
		return shape{parts: []part{{json: "id", kind: Integer}, {json: "name", raw: "name", kind: Text}}, dec: dRef}
	case "lead":
		return shape{parts: []part{{json: "id", kind: Text}, {json: "name", raw: "name", kind: Text}}, dec: dRef}
	}
	return one(JSON, dAny)
}
