// Package readable decodes a stream's custom fields into one readable shape
// per field type, the same in every stream and in both API shapes (v2
// custom_fields objects, v1 top-level and suffix keys), for every output
// that shows values to people: CSV (by default), JSONL and Airbyte with
// --readable, and SQLite. It reads no files and calls no API: the
// definitions come in (schema.Field, from the Fields endpoints), and a
// NameBook, saved with the destination's state by the caller, keeps each
// field's column name stable across renames.
//
// Shapes (JSON; flat columns in Columns are the same parts, "Name part"):
//
//	varchar, text, phone, ...   "text"
//	double / int / boolean      number / integer / bool
//	date / time                 "YYYY-MM-DD" / "HH:MM:SS"
//	enum                        "label" (an unknown option id: "1105")
//	set                         ["label", ...]
//	monetary                    {"amount": n, "currency": "EUR"}
//	daterange / timerange       {"start": ..., "until": ...}
//	address                     {"value", "street_number", "route", ..., "formatted_address"}
//	user, org, people, deal ... {"id": n, "name": "..." or null}
//	unknown type                the value as sent
package readable
