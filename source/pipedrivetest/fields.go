package pipedrivetest

import (
	"strconv"
)

// customTypes are the custom field types every entity gets one of (cycled
// when Options.CustomFields asks for more).
var customTypes = []string{"varchar", "varchar_auto", "text", "double", "monetary", "phone", "date", "daterange",
	"time", "timerange", "enum", "set", "address", "user", "org", "people"}

// cfKind is a custom field type as a small integer (index into
// customTypes), so the hot path switches on ints, not strings.
type cfKind uint8

const (
	kVarchar cfKind = iota
	kVarcharAuto
	kText
	kDouble
	kMonetary
	kPhone
	kDate
	kDaterange
	kTime
	kTimerange
	kEnum
	kSet
	kAddress
	kUser
	kOrg
	kPeople
)

// addressParts are the subfields of an address value (v2 object keys and v1
// key suffixes).
var addressParts = []string{"subpremise", "street_number", "route", "sublocality", "locality",
	"admin_area_level_1", "admin_area_level_2", "country", "postal_code"}

type option struct {
	id    int64
	label string
}

type fieldDef struct {
	code    string // 40-hex for custom fields, the API key for standard ones
	keyq    string // `"code":`, precomputed for the hot path
	name    string
	typ     string
	kind    cfKind
	custom  bool
	options []option
}

// fieldSet is the field list of one entity type ("deal", "person", ...).
type fieldSet struct {
	std    []fieldDef
	custom []fieldDef
}

var stdFields = map[string][]fieldDef{
	"deal": {{code: "id", name: "ID", typ: "int"}, {code: "title", name: "Title", typ: "varchar"},
		{code: "value", name: "Value", typ: "monetary"}, {code: "owner_id", name: "Owner", typ: "user"},
		{code: "person_id", name: "Contact person", typ: "people"}, {code: "org_id", name: "Organization", typ: "org"},
		{code: "stage_id", name: "Stage", typ: "stage"}, {code: "status", name: "Status", typ: "status"},
		{code: "expected_close_date", name: "Expected close date", typ: "date"},
		{code: "visible_to", name: "Visible to", typ: "visible_to"}},
	"person": {{code: "id", name: "ID", typ: "int"}, {code: "name", name: "Name", typ: "varchar"},
		{code: "org_id", name: "Organization", typ: "org"}, {code: "emails", name: "Email", typ: "varchar"},
		{code: "phones", name: "Phone", typ: "phone"}, {code: "owner_id", name: "Owner", typ: "user"}},
	"organization": {{code: "id", name: "ID", typ: "int"}, {code: "name", name: "Name", typ: "varchar"},
		{code: "address", name: "Address", typ: "address"}, {code: "owner_id", name: "Owner", typ: "user"}},
	"product": {{code: "id", name: "ID", typ: "int"}, {code: "name", name: "Name", typ: "varchar"},
		{code: "code", name: "Product code", typ: "varchar"}, {code: "unit", name: "Unit", typ: "varchar"},
		{code: "prices", name: "Price", typ: "price_list"}},
	"project": {{code: "id", name: "ID", typ: "int"}, {code: "title", name: "Project name", typ: "varchar"},
		{code: "description", name: "Description", typ: "text"}, {code: "status", name: "Status", typ: "status"},
		{code: "owner_id", name: "Owner", typ: "user"}, {code: "board_id", name: "Board", typ: "projects_board"},
		{code: "phase_id", name: "Phase", typ: "projects_phase"}, {code: "start_date", name: "Start date", typ: "date"},
		{code: "end_date", name: "End date", typ: "date"}, {code: "deal_ids", name: "Deals", typ: "deals"}},
	"activity": {{code: "id", name: "ID", typ: "int"}, {code: "subject", name: "Subject", typ: "varchar"},
		{code: "type", name: "Type", typ: "varchar_options"}, {code: "due_date", name: "Due date", typ: "date"},
		{code: "due_time", name: "Due time", typ: "time"}, {code: "done", name: "Done", typ: "boolean"},
		{code: "deal_id", name: "Deal", typ: "deal"}, {code: "user_id", name: "Assigned to user", typ: "user"}},
}

func newFieldSet(seed int64, entity string, n int) fieldSet {
	fs := fieldSet{std: stdFields[entity]}
	if entity == "activity" {
		return fs // activities carry no custom fields
	}
	if n <= 0 {
		n = len(customTypes)
	}
	for k := 0; k < n; k++ {
		typ := customTypes[k%len(customTypes)]
		code := hexKey(seed, entity, strconv.Itoa(k))
		f := fieldDef{code: code, keyq: `"` + code + `":`, name: "Custom " + typ + " " + strconv.Itoa(k+1), typ: typ, kind: cfKind(k % len(customTypes)), custom: true}
		if typ == "enum" || typ == "set" {
			for j := 0; j < 4; j++ {
				f.options = append(f.options, option{id: int64(100*(k+1) + j + 1), label: []string{"Low", "Medium", "High", "Ünïcode"}[j]})
			}
		}
		fs.custom = append(fs.custom, f)
	}
	return fs
}

func (fs fieldSet) all() []fieldDef { return append(append([]fieldDef(nil), fs.std...), fs.custom...) }

// customValue draws one custom field value; ok=false means null.
type cfValue struct {
	null     bool
	s        string  // varchar, text, phone, date, time, address formatted
	f        float64 // double, monetary
	currency string
	id       int64   // enum, user, org, people
	ids      []int64 // set
	city     int
	from, to int64 // date/daterange: unix seconds; time/timerange: seconds of the day
}

// appendCFText writes the quoted text of a varchar, text, phone or address
// (formatted) value without building intermediate strings.
func appendCFText(b []byte, typ string, v cfValue) []byte {
	switch typ {
	case "varchar", "varchar_auto":
		b = append(b, '"')
		b = append(b, v.s...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, v.id, 10)
		return append(b, '"')
	case "phone":
		b = append(b, `"+372 5`...)
		b = strconv.AppendInt(b, v.id, 10)
		return append(b, '"')
	case "address":
		c := cities[v.city]
		b = append(b, '"')
		b = strconv.AppendInt(b, v.id, 10)
		b = append(b, ' ')
		b = append(b, streets[v.city]...)
		b = append(b, ", "...)
		b = append(b, c.city...)
		b = append(b, ", "...)
		b = append(b, c.country...)
		return append(b, '"')
	}
	return appendStr(b, v.s)
}

// appendDateOrTime writes the quoted date or time of a date/time value.
func appendDateOrTime(b []byte, typ string, sec int64) []byte {
	b = append(b, '"')
	if typ == "time" || typ == "timerange" {
		b = append2(b, int(sec/3600))
		b = append(b, ':')
		b = append2(b, int(sec%3600/60))
		b = append(b, ":00"...)
	} else {
		b = appendTS(b, sec, layoutDate)
	}
	return append(b, '"')
}

func (o *obj) dt(k, typ string, sec int64) { o.key(k); o.b = appendDateOrTime(o.b, typ, sec) }

func (w *world) drawCF(h *hasher, f fieldDef) cfValue {
	if h.n(7) == 0 {
		return cfValue{null: true}
	}
	var v cfValue
	switch f.kind {
	case kVarchar, kVarcharAuto:
		v.s = h.pick(orgWords1)
		v.id = int64(h.n(1000))
	case kText:
		v.s = h.pick(noteTexts)
	case kPhone:
		v.id = int64(1000000 + h.n(8999999))
	case kDouble:
		v.f = float64(h.n(100000)) / 100
	case kMonetary:
		v.f = float64(h.n(50000))
		v.currency = h.pick(currencies)
	case kDate, kDaterange:
		v.from = w.startSec + int64(h.n(700))*86400
		v.to = v.from + int64(1+h.n(60))*86400
	case kTime, kTimerange:
		hr := int64(8 + h.n(8))
		v.from = hr*3600 + int64(15*h.n(4))*60
		v.to = (hr + 1) * 3600
	case kEnum:
		v.id = f.options[h.n(len(f.options))].id
	case kSet:
		for _, o := range f.options {
			if h.n(2) == 0 {
				v.ids = append(v.ids, o.id)
			}
		}
		if len(v.ids) == 0 {
			v.ids = []int64{f.options[0].id}
		}
	case kAddress:
		v.city = h.n(len(cities))
		v.id = int64(1 + h.n(99)) // house number
	case kUser:
		v.id = 1 + int64(h.n(w.users))
	case kOrg:
		v.id = 1 + int64(h.n(int(w.ents["organizations"].base)))
	case kPeople:
		v.id = 1 + int64(h.n(int(w.ents["persons"].base)))
	}
	return v
}

// appendCFv2 writes "custom_fields":{...} in the v2 shape.
func (w *world) appendCFv2(o *obj, fs fieldSet, h hasher) {
	o.key("custom_fields")
	c := openObj(o.b)
	for _, f := range fs.custom {
		v := w.drawCF(&h, f)
		if !c.first {
			c.b = append(c.b, ',')
		}
		c.first = false
		c.b = append(c.b, f.keyq...)
		if v.null {
			c.b = append(c.b, "null"...)
			continue
		}
		switch f.kind {
		case kVarchar, kVarcharAuto, kText, kPhone:
			c.b = appendCFText(c.b, f.typ, v)
		case kDate, kTime:
			c.b = appendDateOrTime(c.b, f.typ, v.from)
		case kDouble:
			c.b = appendFloat(c.b, v.f)
		case kMonetary:
			m := openObj(c.b)
			m.num("value", v.f)
			m.str("currency", v.currency)
			c.b = m.close()
		case kDaterange, kTimerange:
			m := openObj(c.b)
			m.dt("value", f.typ, v.from)
			m.dt("until", f.typ, v.to)
			c.b = m.close()
		case kEnum, kUser, kOrg, kPeople:
			c.b = strconv.AppendInt(c.b, v.id, 10)
		case kSet:
			c.b = append(c.b, '[')
			for i, id := range v.ids {
				if i > 0 {
					c.b = append(c.b, ',')
				}
				c.b = strconv.AppendInt(c.b, id, 10)
			}
			c.b = append(c.b, ']')
		case kAddress:
			m := openObj(c.b)
			appendAddress(&m, v)
			c.b = m.close()
		}
	}
	o.b = c.close()
}

// appendAddress writes the members of an address object (m just opened).
func appendAddress(m *obj, v cfValue) {
	c := cities[v.city]
	b := append(m.b, `"value":`...)
	b = appendCFText(b, "address", v)
	b = append(b, `,"subpremise":null,"street_number":"`...)
	b = strconv.AppendInt(b, v.id, 10)
	b = append(b, `","route":"`...)
	b = append(b, streets[v.city]...)
	b = append(b, `","sublocality":null,"locality":"`...)
	b = append(b, c.city...)
	b = append(b, `","admin_area_level_1":null,"admin_area_level_2":null,"country":"`...)
	b = append(b, c.country...)
	b = append(b, `","postal_code":"`...)
	b = append(b, c.zip...)
	m.b = append(b, '"')
	m.first = false
}

// appendCFv1 writes custom fields at the top level in the v1 shape.
func (w *world) appendCFv1(o *obj, fs fieldSet, h hasher) {
	for _, f := range fs.custom {
		v := w.drawCF(&h, f)
		k := f.code
		switch f.kind {
		case kVarchar, kVarcharAuto, kText, kPhone:
			o.key(k)
			if v.null {
				o.b = append(o.b, "null"...)
			} else {
				o.b = appendCFText(o.b, f.typ, v)
			}
		case kDate, kTime:
			if v.null {
				o.null(k)
			} else {
				o.dt(k, f.typ, v.from)
			}
		case kDouble:
			if v.null {
				o.null(k)
			} else {
				o.num(k, v.f)
			}
		case kMonetary:
			if v.null {
				o.null(k)
				o.null(k + "_currency")
			} else {
				o.num(k, v.f)
				o.str(k+"_currency", v.currency)
			}
		case kDaterange, kTimerange:
			if v.null {
				o.null(k)
				o.null(k + "_until")
			} else {
				o.dt(k, f.typ, v.from)
				o.dt(k+"_until", f.typ, v.to)
			}
		case kEnum:
			if v.null {
				o.null(k)
			} else {
				o.str(k, strconv.FormatInt(v.id, 10))
			}
		case kSet:
			if v.null {
				o.null(k)
			} else {
				s := ""
				for i, id := range v.ids {
					if i > 0 {
						s += ","
					}
					s += strconv.FormatInt(id, 10)
				}
				o.str(k, s)
			}
		case kUser, kOrg, kPeople:
			o.intOrNull(k, v.id)
		case kAddress:
			o.key(k)
			if v.null {
				o.b = append(o.b, "null"...)
			} else {
				o.b = appendCFText(o.b, "address", v)
			}
			if v.null {
				for _, p := range addressParts {
					o.null(k + "_" + p)
				}
				o.null(k + "_formatted_address")
			} else {
				c := cities[v.city]
				vals := map[string]string{"street_number": strconv.FormatInt(v.id, 10), "route": streets[v.city], "locality": c.city, "country": c.country, "postal_code": c.zip}
				for _, p := range addressParts {
					o.strOrNull(k+"_"+p, vals[p])
				}
				o.key(k + "_formatted_address")
				o.b = appendCFText(o.b, "address", v)
			}
		}
	}
}
