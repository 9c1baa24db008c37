// Package streams is the one declarative table of Pipedrive streams pdx
// reads. Adding a stream is adding a row to table; the engine, the Airbyte
// catalog and the TUI picker all read it from here.
//
// Endpoints are the ones that work today (late 2026): v2 wherever it exists,
// because the v1 list endpoints of deals, persons, organizations, activities,
// products, pipelines, stages and deal products are out of support since
// 2026-08-01; /v1/recents is never used (it only reaches back a month).
// Token costs are the operations' x-token-cost in the published specs.
//
// This file is longer than most on purpose: the table is one list so that a
// stream is one row, read top to bottom; the types and helpers around it
// live in relation.go and reconcile.go.
package streams

import (
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/pdxhq/pdx/source/client"
)

// Group is how the TUI groups streams.
type Group string

const (
	Core     Group = "core"
	Fields   Group = "fields"
	Settings Group = "settings"
)

// Strategy is how a stream reads incrementally.
type Strategy uint8

const (
	// FullRefreshOnly: the API has no way to read changes; always read all.
	FullRefreshOnly Strategy = iota
	// ServerUpdatedSince: the API filters with updated_since (inclusive) and
	// sorts by update_time ascending; state is the max cursor seen, saved
	// after every page. An archived list (ArchiveTime) adds a whole sweep
	// at least once per ArchiveSweepEvery: see archivedScan.
	ServerUpdatedSince
	// ClientSideCursor: read everything, emit records whose cursor is >= the
	// state; state is the max cursor seen, saved at the end.
	ClientSideCursor
	// NewestFirst: the API has no time filter but sorts by the cursor
	// descending (SortParams); an incremental read emits records whose
	// cursor is >= the state and stops at the first older one (every later
	// record is older). State is the max cursor seen, saved once the read
	// reached the state or the end.
	NewestFirst
	// TailWatermark: an append-only list in a stable order (v1 /callLogs:
	// no update operation, no sort, no filter; new records come last). The
	// state is where the last read ended, the position after the last
	// record and its id ({"offset":N,"last_id":"..."}); an incremental read
	// asks for the page at that record, checks it is still there, and
	// emits only what follows. If it is not (a delete shifted the offsets,
	// or the order is not the one assumed) the stream is read whole, with a
	// warning. See callLogsTail.
	TailWatermark
	// SortedTail: an offset-paged list the API sorts by the cursor
	// (ascending, as observed: leads_archived's sort direction is not
	// documented) without a time filter. An incremental read starts at the
	// record before the last read's newest update second (kept in the
	// state as tail_start), steps back until the first record it sees is
	// older than the state, and reads on from there: a run with nothing
	// changed is one request. The order is checked, not trusted. With
	// ArchiveTime it adds the daily sweep (archivedScan).
	SortedTail
)

func (s Strategy) String() string {
	switch s {
	case ServerUpdatedSince:
		return "server_updated_since"
	case ClientSideCursor:
		return "client_side_cursor"
	case NewestFirst:
		return "newest_first"
	case TailWatermark:
		return "tail_watermark"
	case SortedTail:
		return "sorted_tail"
	}
	return "full_refresh_only"
}

// Paging is re-exported from client so the table reads naturally.
type Paging = client.Paging

const (
	V2Cursor = client.V2Cursor
	V1Offset = client.V1Offset
	None     = client.NoPaging
)

// Stream is one row of the table.
type Stream struct {
	Name        string // snake_case, as the old Airbyte connector named it
	Description string // short, for the TUI picker
	Group       Group
	Version     client.Version
	Path        string     // "/deals" (without the version prefix)
	Params      url.Values // fixed params sent on every page
	PrimaryKey  []string
	Cursor      string   // "update_time" / "modified"; "" for full refresh only
	Strategy    Strategy // of a parentless stream; a child's is its Parent.Changed
	// Parent makes this a child stream, read per batch of its parent's
	// records (nil for a parentless list).
	Parent    *Relation
	Paging    Paging
	PageLimit int // the API's maximum: 500 (files 100, callLogs 50); 0 for unpaged lists
	TokenCost int // x-token-cost of one list request
	// SortParams are sent on every read: by the cursor ascending, so a
	// per-page checkpoint is a real resume point, or descending for
	// NewestFirst, so an incremental read can stop early.
	SortParams url.Values
	// FieldsEntity names the entity whose Fields endpoint declares custom
	// fields for this stream ("deal" for deals and leads); "" for none.
	FieldsEntity string
	// ArchiveTime names the field that says when a record of an archived
	// list was archived ("archive_time"); "" for other streams. See
	// archivedScan for how such a stream reads incrementally.
	ArchiveTime string
	// RecordsPath names the array inside "data" that holds the records when
	// data is an object ("goals" of /goals/find: data.goals); "" when data
	// is the list.
	RecordsPath string
	// DefaultOff leaves the stream out of the UI's default selection: a
	// per-parent stream costing a request per parent (changelogs, flows,
	// participants, followers) can take more than a day's budget. It is
	// only a default: an explicit list of streams always reads it.
	DefaultOff bool
	// Unordered: the API neither filters nor sorts the list by any field
	// (its spec declares no sort and no time filter, and documents no
	// order), so every run reads every page, whatever changed, and no
	// id watermark can be trusted to stop early. See ScansAll.
	Unordered bool
}

// ScansAll reports whether an incremental run of the stream still reads
// every page (its cost grows with the account, not with the changes): a
// full-refresh-only or client-side cursor stream. Estimates and docs say so.
func (s Stream) ScansAll() bool {
	if s.Parent != nil {
		return s.Parent.Changed == EveryParent
	}
	return s.Strategy == FullRefreshOnly || s.Strategy == ClientSideCursor
}

// SupportsIncremental reports whether the stream can read incrementally.
func (s Stream) SupportsIncremental() bool {
	if s.Parent != nil {
		return s.Parent.Changed != EveryParent && s.Cursor != ""
	}
	if s.Strategy == TailWatermark {
		return true // by position, not by a cursor field
	}
	return s.Strategy != FullRefreshOnly && s.Cursor != ""
}

// CursorField is the field an incremental read goes by, as the Airbyte
// catalog declares it: the cursor, or the primary key for a tail
// watermark (the last record read).
func (s Stream) CursorField() string {
	if s.Strategy == TailWatermark && s.Cursor == "" && len(s.PrimaryKey) == 1 {
		return s.PrimaryKey[0]
	}
	return s.Cursor
}

// ArchiveSweepEvery is how often an archived list read by updated_since
// is also swept whole (see archivedScan).
const ArchiveSweepEvery = 24 * time.Hour

// ServerSide reports whether the API filters by the cursor (updated_since).
func (s Stream) ServerSide() bool { return s.Strategy == ServerUpdatedSince }

// Pages returns how many requests reading n records takes (at least one).
func (s Stream) Pages(n int64) int64 {
	if s.Paging == None || s.PageLimit <= 0 {
		return 1
	}
	p := (n + int64(s.PageLimit) - 1) / int64(s.PageLimit)
	if p < 1 {
		p = 1
	}
	return p
}

func v(kv ...string) url.Values {
	out := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

var (
	pkID        = []string{"id"}
	pkFieldCode = []string{"field_code"}
	pkKey       = []string{"key"} // v1 field definitions
	v2Sort      = v("sort_by", "update_time", "sort_direction", "asc")
	v1Sort      = v("sort", "update_time ASC")
	v1Newest    = v("sort", "update_time DESC") // /files: sortable, no time filter
	// /leads declares sort as an enum of bare field names; ascending is the
	// default direction.
	leadsSort = v("sort", "update_time")
)

// The include_fields of v2 lists: what v1 returned by default and v2 only
// on request, at no extra token cost (x-token-cost is per request). Left
// out: persons' marketing_status and doi_status, which fail without the
// marketing app.
const (
	activityCounts = "activities_count,done_activities_count,undone_activities_count,email_messages_count,files_count,notes_count,followers_count"
	dealExtras     = "next_activity_id,last_activity_id,first_won_time,products_count,participants_count," + activityCounts +
		",last_incoming_mail_time,last_outgoing_mail_time,smart_bcc_email,source_lead_id"
	dealCounts   = "open_deals_count,related_open_deals_count,closed_deals_count,related_closed_deals_count,won_deals_count,related_won_deals_count,lost_deals_count,related_lost_deals_count"
	personExtras = "next_activity_id,last_activity_id," + dealCounts + ",participant_open_deals_count,participant_closed_deals_count," + activityCounts +
		",last_incoming_mail_time,last_outgoing_mail_time,smart_bcc_email"
	orgExtras = "next_activity_id,last_activity_id," + dealCounts + ",people_count," + activityCounts + ",smart_bcc_email"
)

// dealListings are the listings of every deal a full export has: /deals
// (deleted ones included, as the deals stream reads them) and the archived
// ones, which only /deals/archived lists.
var dealListings = []ParentSource{{Stream: "deals"}, {Stream: "deals_archived"}}

// liveDealListings leave the deleted deals out: their followers and
// participants are gone (the API answers 404 for them), while their
// changelog and flow remain.
var liveDealListings = []ParentSource{{Stream: "deals", Params: v("status", "open,won,lost")}, {Stream: "deals_archived", Params: v("status", "open,won,lost")}}

// perDeal is the relation of a per-deal list (/deals/{id}/...) whose
// records name their deal in key (added by the engine when absent). A
// change to such a child (a follower, a participant, a changed field)
// changes the deal, so only deals updated since the state are read.
func perDeal(key string, listings []ParentSource) *Relation {
	return &Relation{Parents: listings, IDParam: "id", IDIn: IDInPath, Batch: 1, Changed: ParentUpdatedSince, ParentKey: key}
}

// goalFinds are the calls of /goals/find that together list every goal:
// without assignee.type only the caller's goals come, without is_active
// only active ones.
var goalFinds = func() []ParentSource {
	var out []ParentSource
	for _, active := range []string{"true", "false"} {
		for _, typ := range []string{"person", "company", "team"} {
			out = append(out, ParentSource{Params: v("is_active", active, "assignee.type", typ)})
		}
	}
	return out
}()

// goalPeriod is a goal's results request span: its duration, an open end
// (and an end in the future) being today.
func goalPeriod(goal []byte, today time.Time) (url.Values, error) {
	var g struct {
		Duration struct {
			Start string  `json:"start"`
			End   *string `json:"end"`
		} `json:"duration"`
	}
	if err := json.Unmarshal(goal, &g); err != nil || g.Duration.Start == "" {
		return nil, fmt.Errorf("a goal without a duration start (%v)", err)
	}
	end := today.Format(time.DateOnly)
	if g.Duration.End != nil && *g.Duration.End != "" && *g.Duration.End < end {
		end = *g.Duration.End
	}
	if end < g.Duration.Start {
		end = g.Duration.Start
	}
	return v("period.start", g.Duration.Start, "period.end", end), nil
}

// mailFolders are the four folders of the mailbox: the fixed params of
// mail_threads (parent ""), or mail's listings of mail_threads, one state
// each.
func mailFolders(parent string) []ParentSource {
	var out []ParentSource
	for _, f := range []string{"inbox", "drafts", "sent", "archive"} {
		src := ParentSource{Stream: parent, Params: v("folder", f)}
		if parent != "" {
			src.Name = parent + "_" + f
		}
		out = append(out, src)
	}
	return out
}

// perRecord is perDeal for the records of another parentless stream.
func perRecord(parent, key string) *Relation {
	return &Relation{Parents: []ParentSource{{Stream: parent}}, IDParam: "id", IDIn: IDInPath, Batch: 1, Changed: ParentUpdatedSince, ParentKey: key}
}

// archivedScan: archiving moves a record to its archived list, and Pipedrive
// does not document that it bumps update_time (archive_time is its own
// field), so an incremental read by update_time alone could miss a record
// archived since the state. No list filters or sorts by archive time. So
// an archived stream whose list the API filters by update_time
// (deals_archived: v2 /deals/archived takes updated_since and sorts by
// update_time; reading it newest first would stop no earlier and lose the
// per-page checkpoints, and deal_products lists its parents by
// updated_since too) reads in two ways:
//   - each incremental run reads what changed since the state
//     (ServerUpdatedSince; a run with nothing changed is one request): a
//     record archived with an update_time bump comes the same run.
//     leads_archived, which the API sorts by update_time (sort=update_time:
//     ascending as observed, the direction is not documented, so the read
//     checks it) without a time filter, reads the tail of that order from
//     where the last read's newest records began (SortedTail): also one
//     request when nothing changed;
//   - at least once per ArchiveSweepEvery (24 h; also on a full refresh, a
//     first sync, and a run that reconciles deletes) the whole list is
//     swept, emitting the records updated since the state, those archived
//     since the previous sweep began (archive_time at or after the state's
//     cursor then, or on a first sync the newest time its first page
//     showed: no record archived later can have an earlier archive_time),
//     and those carrying no archive_time (they cannot be placed, so they
//     come on every sweep: duplicates by primary key, never a hole). The
//     state keeps when the sweep ended and that bound: {"update_time",
//     "swept_at", "sweep_from"}.
//
// The trade-off: a record archived without an update_time bump arrives
// within a day (with the next sweep), not the same run; a sweep costs what
// every run cost before (every page of the list). A list the API neither
// filters nor sorts (projects_archived) is still a client-side scan of
// every page on every run, comparing both times the same way (each such
// read is a sweep); so is leads_archived if its answers are not in
// ascending order (with a warning).
// /deals/archived's response schema declares no archive_time, but its
// examples show one (the simulator sends it); /leads/archived shows none.
//
// table: keep it sorted by name.
//
// Beyond the 26 streams (the old Airbyte connector's), the table has
// the other parentless lists users of Airbyte's 3.x connector expect:
// call_logs (v1 pages of at most 50; no time field: see callLogsTail),
// lead_fields, note_fields, and projects and tasks (v2 without
// updated_since, so their cursor is filtered here). Left out, because each
// needs more than a row: goals (/goals/find answers data:{goals:[...]}, not
// a list, and only the caller's active goals unless filtered) and mail
// threads (folder is required: one list per folder). Child streams (read per
// batch of a parent's records) are rows with a Parent relation.
var table = []Stream{
	{Name: "activities", Description: "Calls, meetings, tasks and more", Group: Core, Version: client.V2, Path: "/activities",
		Params:     v("include_fields", "attendees"),
		PrimaryKey: pkID, Cursor: "update_time", Strategy: ServerUpdatedSince, Paging: V2Cursor, PageLimit: 500, TokenCost: 10, SortParams: v2Sort, FieldsEntity: "activity"},
	{Name: "activity_fields", Description: "Activity field definitions", Group: Fields, Version: client.V2, Path: "/activityFields",
		PrimaryKey: pkFieldCode, Strategy: FullRefreshOnly, Paging: V2Cursor, PageLimit: 500, TokenCost: 10},
	{Name: "activity_types", Description: "Activity types", Group: Settings, Version: client.V1, Path: "/activityTypes",
		PrimaryKey: pkID, Cursor: "update_time", Strategy: ClientSideCursor, Paging: None, TokenCost: 20},
	{Name: "boards", Description: "Project boards (Projects add-on)", Group: Settings, Version: client.V2, Path: "/boards",
		PrimaryKey: pkID, Cursor: "update_time", Strategy: ClientSideCursor, Paging: None, TokenCost: 10},
	{Name: "call_logs", Description: "Call logs from phone integrations", Group: Core, Version: client.V1, Path: "/callLogs",
		// callLogsTail: the v1 spec has GET/POST /callLogs and GET/DELETE
		// /callLogs/{id}, no update, so a call log never changes once
		// logged (deletes are for delete reconciliation), and the list has
		// offset paging but no sort and no filter. As observed (and as the
		// simulator models it), it lists in the order logged, new ones
		// last. So an incremental read goes on from the last record read
		// (TailWatermark), after checking that record is still where it
		// was; ids are opaque strings, so their order is not checked. A
		// delete before it, or any other order, fails the check and the
		// stream is read whole with a warning. What the check cannot see (a
		// delete and an insert before the watermark at once, which the
		// assumed order rules out) a full refresh repairs.
		PrimaryKey: pkID, Strategy: TailWatermark, Paging: V1Offset, PageLimit: 50, TokenCost: 20},
	{Name: "currencies", Description: "Currencies", Group: Settings, Version: client.V1, Path: "/currencies",
		PrimaryKey: pkID, Strategy: FullRefreshOnly, Paging: None, TokenCost: 20},
	{Name: "deal_changelog", Description: "Field-level history of deals (a request per deal)", Group: Core, Version: client.V1, Path: "/deals/{id}/changelog",
		PrimaryKey: []string{"deal_id", "time", "field_key"}, Cursor: "time", Paging: V2Cursor, PageLimit: 500, TokenCost: 20, DefaultOff: true,
		Parent: perDeal("deal_id", dealListings)},
	{Name: "deal_fields", Description: "Deal fields, custom ones included", Group: Fields, Version: client.V2, Path: "/dealFields",
		PrimaryKey: pkFieldCode, Strategy: FullRefreshOnly, Paging: V2Cursor, PageLimit: 500, TokenCost: 10},
	{Name: "deal_flow", Description: "Updates feed of deals (a request per deal, 40 tokens)", Group: Core, Version: client.V1, Path: "/deals/{id}/flow",
		PrimaryKey: []string{"deal_id", "object", "timestamp"}, Cursor: "timestamp", Paging: V1Offset, PageLimit: 500, TokenCost: 40, DefaultOff: true,
		Parent: perDeal("deal_id", dealListings)},
	{Name: "deal_followers", Description: "Users following each deal (a request per deal)", Group: Core, Version: client.V2, Path: "/deals/{id}/followers",
		PrimaryKey: []string{"deal_id", "user_id"}, Cursor: "add_time", Paging: V2Cursor, PageLimit: 500, TokenCost: 10, DefaultOff: true,
		Parent: perDeal("deal_id", liveDealListings)},
	{Name: "deal_installments", Description: "Installments of deals (Growth plans and above)", Group: Core, Version: client.V2, Path: "/deals/installments",
		PrimaryKey: pkID, Cursor: "billing_date", Paging: V2Cursor, PageLimit: 500, TokenCost: 10,
		// The cursor is never compared: the state is the deals' update
		// time, as for deal_products.
		Parent: &Relation{Parents: dealListings, IDParam: "deal_ids", IDIn: IDRepeated, Batch: 100, Changed: ParentUpdatedSince, Optional: true}},
	{Name: "deal_participants", Description: "Persons participating in each deal (a request per deal)", Group: Core, Version: client.V1, Path: "/deals/{id}/participants",
		PrimaryKey: pkID, Cursor: "add_time", Paging: V1Offset, PageLimit: 500, TokenCost: 10, DefaultOff: true,
		Parent: perDeal("related_item_id", liveDealListings)},
	{Name: "deal_products", Description: "Products attached to deals", Group: Core, Version: client.V2, Path: "/deals/products",
		PrimaryKey: pkID, Cursor: "update_time", Paging: V2Cursor, PageLimit: 500, TokenCost: 10, FieldsEntity: "product",
		// The products of every deal a full export has: those /deals lists
		// (deleted ones included, as the deals stream reads them) and the
		// archived ones, which only /deals/archived lists.
		Parent: &Relation{Parents: []ParentSource{{Stream: "deals"}, {Stream: "deals_archived"}}, IDParam: "deal_ids", IDIn: IDList, Batch: 100, Changed: ParentUpdatedSince}},
	{Name: "deals", Description: "Deals, and those deleted in 30 days", Group: Core, Version: client.V2, Path: "/deals",
		Params:     v("status", "open,won,lost,deleted", "include_fields", dealExtras),
		PrimaryKey: pkID, Cursor: "update_time", Strategy: ServerUpdatedSince, Paging: V2Cursor, PageLimit: 500, TokenCost: 10, SortParams: v2Sort, FieldsEntity: "deal"},
	{Name: "deals_archived", Description: "Archived deals, deleted in 30 days", Group: Core, Version: client.V2, Path: "/deals/archived",
		// Without status the deleted archived deals are left out ("If
		// omitted, all not deleted deals are returned").
		Params:     v("status", "open,won,lost,deleted", "include_fields", dealExtras),
		PrimaryKey: pkID, Cursor: "update_time", Strategy: ServerUpdatedSince, Paging: V2Cursor, PageLimit: 500, TokenCost: 20, SortParams: v2Sort, FieldsEntity: "deal",
		ArchiveTime: "archive_time"},
	{Name: "files", Description: "Files attached to records", Group: Core, Version: client.V1, Path: "/files",
		PrimaryKey: pkID, Cursor: "update_time", Strategy: NewestFirst, Paging: V1Offset, PageLimit: 100, TokenCost: 20, SortParams: v1Newest},
	{Name: "filters", Description: "Saved filters", Group: Settings, Version: client.V1, Path: "/filters",
		PrimaryKey: pkID, Cursor: "update_time", Strategy: ClientSideCursor, Paging: None, TokenCost: 20},
	{Name: "goal_results", Description: "Progress of each goal over its own period", Group: Core, Version: client.V1, Path: "/goals/{id}/results",
		PrimaryKey: []string{"goal_id"}, Paging: None, TokenCost: 20, RecordsPath: client.RecordIsData,
		Parent: &Relation{Parents: []ParentSource{{Stream: "goals"}}, IDParam: "id", IDIn: IDInPath, Batch: 1, Changed: EveryParent,
			ParentKey: "goal_id", ParentParams: goalPeriod}},
	{Name: "goals", Description: "Goals of every assignee, active and not", Group: Core, Version: client.V1, Path: "/goals/find",
		PrimaryKey: pkID, Paging: None, TokenCost: 20, RecordsPath: "goals",
		Parent: &Relation{Parents: goalFinds, Changed: EveryParent}},
	{Name: "lead_fields", Description: "Lead fields (deal fields leads use)", Group: Fields, Version: client.V1, Path: "/leadFields",
		PrimaryKey: pkKey, Strategy: FullRefreshOnly, Paging: V1Offset, PageLimit: 500, TokenCost: 20},
	{Name: "lead_labels", Description: "Lead labels", Group: Settings, Version: client.V1, Path: "/leadLabels",
		PrimaryKey: pkID, Cursor: "update_time", Strategy: ClientSideCursor, Paging: None, TokenCost: 10},
	{Name: "lead_sources", Description: "Lead sources", Group: Settings, Version: client.V1, Path: "/leadSources",
		PrimaryKey: []string{"name"}, Strategy: FullRefreshOnly, Paging: None, TokenCost: 2},
	{Name: "leads", Description: "Leads", Group: Core, Version: client.V1, Path: "/leads",
		PrimaryKey: pkID, Cursor: "update_time", Strategy: ServerUpdatedSince, Paging: V1Offset, PageLimit: 500, TokenCost: 20, SortParams: leadsSort, FieldsEntity: "deal"},
	{Name: "leads_archived", Description: "Archived leads", Group: Core, Version: client.V1, Path: "/leads/archived",
		PrimaryKey: pkID, Cursor: "update_time", Strategy: SortedTail, Paging: V1Offset, PageLimit: 500, TokenCost: 40, SortParams: leadsSort, FieldsEntity: "deal",
		ArchiveTime: "archive_time"},
	{Name: "mail", Description: "Mail messages of the token owner's threads changed since the state", Group: Core, Version: client.V1, Path: "/mailbox/mailThreads/{id}/mailMessages",
		PrimaryKey: pkID, Cursor: "update_time", Paging: None, TokenCost: 20,
		Parent: &Relation{Parents: mailFolders("mail_threads"), IDParam: "id", IDIn: IDInPath, Batch: 1, Changed: ParentCursorHere}},
	{Name: "mail_threads", Description: "Mail threads of the token owner's mailbox, every folder", Group: Core, Version: client.V1, Path: "/mailbox/mailThreads",
		PrimaryKey: pkID, Cursor: "update_time", Paging: V1Offset, PageLimit: 500, TokenCost: 20,
		Parent: &Relation{Parents: mailFolders(""), Changed: EveryParent}},
	{Name: "note_fields", Description: "Note field definitions", Group: Fields, Version: client.V1, Path: "/noteFields",
		PrimaryKey: pkKey, Strategy: FullRefreshOnly, Paging: None, TokenCost: 20},
	{Name: "notes", Description: "Notes", Group: Core, Version: client.V1, Path: "/notes",
		PrimaryKey: pkID, Cursor: "update_time", Strategy: ServerUpdatedSince, Paging: V1Offset, PageLimit: 500, TokenCost: 20, SortParams: v1Sort, FieldsEntity: "note"},
	{Name: "organization_changelog", Description: "Field-level history of organizations (a request per organization)", Group: Core, Version: client.V1, Path: "/organizations/{id}/changelog",
		PrimaryKey: []string{"organization_id", "time", "field_key"}, Cursor: "time", Paging: V2Cursor, PageLimit: 500, TokenCost: 20, DefaultOff: true,
		Parent: perRecord("organizations", "organization_id")},
	{Name: "organization_fields", Description: "Organization field definitions", Group: Fields, Version: client.V2, Path: "/organizationFields",
		PrimaryKey: pkFieldCode, Strategy: FullRefreshOnly, Paging: V2Cursor, PageLimit: 500, TokenCost: 10},
	{Name: "organization_followers", Description: "Users following each organization (a request per organization)", Group: Core, Version: client.V2, Path: "/organizations/{id}/followers",
		PrimaryKey: []string{"organization_id", "user_id"}, Cursor: "add_time", Paging: V2Cursor, PageLimit: 500, TokenCost: 10, DefaultOff: true,
		Parent: perRecord("organizations", "organization_id")},
	{Name: "organizations", Description: "Organizations", Group: Core, Version: client.V2, Path: "/organizations",
		Params:     v("include_fields", orgExtras),
		PrimaryKey: pkID, Cursor: "update_time", Strategy: ServerUpdatedSince, Paging: V2Cursor, PageLimit: 500, TokenCost: 10, SortParams: v2Sort, FieldsEntity: "organization"},
	{Name: "permission_set_assignments", Description: "Users holding each permission set", Group: Settings, Version: client.V1, Path: "/permissionSets/{id}/assignments",
		PrimaryKey: []string{"permission_set_id", "user_id"}, Paging: V1Offset, PageLimit: 500, TokenCost: 20,
		Parent: &Relation{Parents: []ParentSource{{Stream: "permission_sets"}}, IDParam: "id", IDIn: IDInPath, Batch: 1, Changed: EveryParent}},
	{Name: "permission_sets", Description: "Permission sets", Group: Settings, Version: client.V1, Path: "/permissionSets",
		PrimaryKey: pkID, Strategy: FullRefreshOnly, Paging: None, TokenCost: 20},
	{Name: "person_changelog", Description: "Field-level history of persons (a request per person)", Group: Core, Version: client.V1, Path: "/persons/{id}/changelog",
		PrimaryKey: []string{"person_id", "time", "field_key"}, Cursor: "time", Paging: V2Cursor, PageLimit: 500, TokenCost: 20, DefaultOff: true,
		Parent: perRecord("persons", "person_id")},
	{Name: "person_fields", Description: "Person field definitions", Group: Fields, Version: client.V2, Path: "/personFields",
		PrimaryKey: pkFieldCode, Strategy: FullRefreshOnly, Paging: V2Cursor, PageLimit: 500, TokenCost: 10},
	{Name: "person_followers", Description: "Users following each person (a request per person)", Group: Core, Version: client.V2, Path: "/persons/{id}/followers",
		PrimaryKey: []string{"person_id", "user_id"}, Cursor: "add_time", Paging: V2Cursor, PageLimit: 500, TokenCost: 10, DefaultOff: true,
		Parent: perRecord("persons", "person_id")},
	{Name: "persons", Description: "People (contacts)", Group: Core, Version: client.V2, Path: "/persons",
		Params:     v("include_fields", personExtras),
		PrimaryKey: pkID, Cursor: "update_time", Strategy: ServerUpdatedSince, Paging: V2Cursor, PageLimit: 500, TokenCost: 10, SortParams: v2Sort, FieldsEntity: "person"},
	{Name: "phases", Description: "Phases of project boards", Group: Settings, Version: client.V2, Path: "/phases",
		PrimaryKey: pkID, Paging: None, TokenCost: 10,
		Parent: &Relation{Parents: []ParentSource{{Stream: "boards"}}, IDParam: "board_id", IDIn: IDOne, Batch: 1, Changed: EveryParent}},
	{Name: "pipelines", Description: "Pipelines", Group: Settings, Version: client.V2, Path: "/pipelines",
		PrimaryKey: pkID, Cursor: "update_time", Strategy: ClientSideCursor, Paging: V2Cursor, PageLimit: 500, TokenCost: 5},
	{Name: "product_fields", Description: "Product field definitions", Group: Fields, Version: client.V2, Path: "/productFields",
		PrimaryKey: pkFieldCode, Strategy: FullRefreshOnly, Paging: V2Cursor, PageLimit: 500, TokenCost: 10},
	{Name: "product_followers", Description: "Users following each product (a request per product)", Group: Core, Version: client.V2, Path: "/products/{id}/followers",
		PrimaryKey: []string{"product_id", "user_id"}, Cursor: "add_time", Paging: V2Cursor, PageLimit: 500, TokenCost: 10, DefaultOff: true,
		Parent: perRecord("products", "product_id")},
	{Name: "product_variations", Description: "Variations of products", Group: Core, Version: client.V2, Path: "/products/{id}/variations",
		PrimaryKey: pkID, Paging: V2Cursor, PageLimit: 500, TokenCost: 10,
		// No time field: every product's variations on every read.
		Parent: &Relation{Parents: []ParentSource{{Stream: "products"}}, IDParam: "id", IDIn: IDInPath, Batch: 1, Changed: EveryParent, ParentKey: "product_id"}},
	{Name: "products", Description: "Products", Group: Core, Version: client.V2, Path: "/products",
		PrimaryKey: pkID, Cursor: "update_time", Strategy: ServerUpdatedSince, Paging: V2Cursor, PageLimit: 500, TokenCost: 10, SortParams: v2Sort, FieldsEntity: "product"},
	{Name: "project_fields", Description: "Project field definitions", Group: Fields, Version: client.V2, Path: "/projectFields",
		PrimaryKey: pkFieldCode, Strategy: FullRefreshOnly, Paging: V2Cursor, PageLimit: 500, TokenCost: 10},
	// Projects and archived projects are two streams, as deals and leads
	// are: two endpoints, two destination tables, one cursor each.
	{Name: "projects", Description: "Projects (add-on), deleted included", Group: Core, Version: client.V2, Path: "/projects",
		// Without status the deleted projects are left out.
		Params:     v("status", "open,completed,canceled,deleted"),
		PrimaryKey: pkID, Cursor: "update_time", Strategy: ClientSideCursor, Paging: V2Cursor, PageLimit: 500, TokenCost: 10, FieldsEntity: "project", Unordered: true},
	{Name: "projects_archived", Description: "Archived projects, deleted included", Group: Core, Version: client.V2, Path: "/projects/archived",
		Params:     v("status", "open,completed,canceled,deleted"),
		PrimaryKey: pkID, Cursor: "update_time", Strategy: ClientSideCursor, Paging: V2Cursor, PageLimit: 500, TokenCost: 10, FieldsEntity: "project",
		ArchiveTime: "archive_time", Unordered: true},
	{Name: "role_assignments", Description: "Users assigned to each role", Group: Settings, Version: client.V1, Path: "/roles/{id}/assignments",
		PrimaryKey: []string{"role_id", "user_id"}, Paging: V1Offset, PageLimit: 500, TokenCost: 10,
		Parent: &Relation{Parents: []ParentSource{{Stream: "roles"}}, IDParam: "id", IDIn: IDInPath, Batch: 1, Changed: EveryParent}},
	{Name: "roles", Description: "Roles", Group: Settings, Version: client.V1, Path: "/roles",
		PrimaryKey: pkID, Strategy: FullRefreshOnly, Paging: V1Offset, PageLimit: 500, TokenCost: 20},
	{Name: "stages", Description: "Pipeline stages", Group: Settings, Version: client.V2, Path: "/stages",
		PrimaryKey: pkID, Cursor: "update_time", Strategy: ClientSideCursor, Paging: V2Cursor, PageLimit: 500, TokenCost: 5},
	{Name: "tasks", Description: "Project tasks", Group: Core, Version: client.V2, Path: "/tasks",
		PrimaryKey: pkID, Cursor: "update_time", Strategy: ClientSideCursor, Paging: V2Cursor, PageLimit: 500, TokenCost: 10, Unordered: true},
	{Name: "users", Description: "Users of the company", Group: Settings, Version: client.V1, Path: "/users",
		PrimaryKey: pkID, Cursor: "modified", Strategy: ClientSideCursor, Paging: None, TokenCost: 20},
}

// All returns every stream, sorted by name. The slice is a copy.
func All() []Stream {
	out := make([]Stream, len(table))
	copy(out, table)
	return out
}

// Lookup finds a stream by name.
func Lookup(name string) (Stream, bool) {
	for _, s := range table {
		if s.Name == name {
			return s, true
		}
	}
	return Stream{}, false
}

// Defaults returns the names of the streams read when none are named
// (every stream but the DefaultOff ones), sorted.
func Defaults() []string {
	var out []string
	for _, s := range table {
		if !s.DefaultOff {
			out = append(out, s.Name)
		}
	}
	return out
}

// Names returns every stream name, sorted.
func Names() []string {
	out := make([]string, len(table))
	for i, s := range table {
		out[i] = s.Name
	}
	return out
}
