package pipedrivetest

import (
	"strconv"
	"time"
)

// customTypes are the custom field types every entity gets one of (cycled
// when Options.CustomFields asks for more).
var customTypes = []string{"varchar", "varchar_auto", "text", "double", "monetary", "phone", "date", "daterange",
	"time", "timerange", "enum", "set", "address", "user", "org", "people"}

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
	name    string
	typ     string
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
		f := fieldDef{code: hexKey(seed, entity, strconv.Itoa(k)), name: "Custom " + typ + " " + strconv.Itoa(k+1), typ: typ, custom: true}
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
	until    string  // daterange/timerange
	f        float64 // double, monetary
	currency string
	id       int64   // enum, user, org, people
	ids      []int64 // set
	city     int
}

func (w *world) drawCF(h *hasher, f fieldDef) cfValue {
	if h.n(7) == 0 {
		return cfValue{null: true}
	}
	var v cfValue
	switch f.typ {
	case "varchar", "varchar_auto":
		v.s = h.pick(orgWords1) + " " + strconv.Itoa(h.n(1000))
	case "text":
		v.s = h.pick(noteTexts)
	case "phone":
		v.s = "+372 5" + strconv.Itoa(1000000+h.n(8999999))
	case "double":
		v.f = float64(h.n(100000)) / 100
	case "monetary":
		v.f = float64(h.n(50000))
		v.currency = h.pick(currencies)
	case "date", "daterange":
		d := w.start.AddDate(0, 0, h.n(700))
		v.s = d.Format(layoutDate)
		v.until = d.AddDate(0, 0, 1+h.n(60)).Format(layoutDate)
	case "time", "timerange":
		hr := 8 + h.n(8)
		v.s = time.Date(2000, 1, 1, hr, 15*h.n(4), 0, 0, time.UTC).Format(layoutClock)
		v.until = time.Date(2000, 1, 1, hr+1, 0, 0, 0, time.UTC).Format(layoutClock)
	case "enum":
		v.id = f.options[h.n(len(f.options))].id
	case "set":
		for _, o := range f.options {
			if h.n(2) == 0 {
				v.ids = append(v.ids, o.id)
			}
		}
		if len(v.ids) == 0 {
			v.ids = []int64{f.options[0].id}
		}
	case "address":
		v.city = h.n(len(cities))
		c := cities[v.city]
		v.s = strconv.Itoa(1+h.n(99)) + " " + streets[v.city] + ", " + c.city + ", " + c.country
	case "user":
		v.id = 1 + int64(h.n(w.users))
	case "org":
		v.id = 1 + int64(h.n(int(w.ents["organizations"].base)))
	case "people":
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
		if v.null {
			c.null(f.code)
			continue
		}
		switch f.typ {
		case "varchar", "varchar_auto", "text", "phone", "date", "time":
			c.str(f.code, v.s)
		case "double":
			c.num(f.code, v.f)
		case "monetary":
			c.key(f.code)
			m := openObj(c.b)
			m.num("value", v.f)
			m.str("currency", v.currency)
			c.b = m.close()
		case "daterange", "timerange":
			c.key(f.code)
			m := openObj(c.b)
			m.str("value", v.s)
			m.str("until", v.until)
			c.b = m.close()
		case "enum", "user", "org", "people":
			c.int(f.code, v.id)
		case "set":
			c.ints(f.code, v.ids)
		case "address":
			c.key(f.code)
			m := openObj(c.b)
			appendAddress(&m, v)
			c.b = m.close()
		}
	}
	o.b = c.close()
}

func appendAddress(m *obj, v cfValue) {
	c := cities[v.city]
	m.str("value", v.s)
	m.null("subpremise")
	m.str("street_number", "1")
	m.str("route", streets[v.city])
	m.null("sublocality")
	m.str("locality", c.city)
	m.null("admin_area_level_1")
	m.null("admin_area_level_2")
	m.str("country", c.country)
	m.str("postal_code", c.zip)
}

// appendCFv1 writes custom fields at the top level in the v1 shape.
func (w *world) appendCFv1(o *obj, fs fieldSet, h hasher) {
	for _, f := range fs.custom {
		v := w.drawCF(&h, f)
		k := f.code
		switch f.typ {
		case "varchar", "varchar_auto", "text", "phone", "date", "time":
			o.strOrNull(k, v.s)
		case "double":
			if v.null {
				o.null(k)
			} else {
				o.num(k, v.f)
			}
		case "monetary":
			if v.null {
				o.null(k)
				o.null(k + "_currency")
			} else {
				o.num(k, v.f)
				o.str(k+"_currency", v.currency)
			}
		case "daterange", "timerange":
			o.strOrNull(k, v.s)
			o.strOrNull(k+"_until", v.until)
		case "enum":
			if v.null {
				o.null(k)
			} else {
				o.str(k, strconv.FormatInt(v.id, 10))
			}
		case "set":
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
		case "user", "org", "people":
			o.intOrNull(k, v.id)
		case "address":
			o.strOrNull(k, v.s)
			if v.null {
				for _, p := range addressParts {
					o.null(k + "_" + p)
				}
				o.null(k + "_formatted_address")
			} else {
				c := cities[v.city]
				vals := map[string]string{"street_number": "1", "route": streets[v.city], "locality": c.city, "country": c.country, "postal_code": c.zip}
				for _, p := range addressParts {
					o.strOrNull(k+"_"+p, vals[p])
				}
				o.str(k+"_formatted_address", v.s)
			}
		}
	}
}
