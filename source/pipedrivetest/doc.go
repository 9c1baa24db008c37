// Package pipedrivetest is a simulated Pipedrive, in the spirit of
// net/http/httptest: NewServer starts it on loopback and URL() is its base.
// pdx's tests, benchmarks and demos (`pdx sandbox`, `pdx --demo`) all run
// against it; it follows Pipedrive's published OpenAPI specs (v1 and v2).
//
// # What it serves
//
// Every non-deprecated GET operation of both specs (routes.go lists the
// ones pdx streams read, routes_more.go the rest; spectest's coverage test
// fails on any it misses). v1's /oauth/authorize is served at the root,
// next to POST /oauth/token, as on oauth.pipedrive.com. Among them: v2 lists
// and single reads of deals, persons, organizations, activities, products,
// pipelines, stages, projects (+ archived), tasks, boards, phases,
// projectTemplates, every Fields list and field; deals/products,
// deals/{id}/products, deals/installments, followers and their changelogs,
// product variations and images, person pictures, conversions and search;
// v1 fields, notes (+ comments), files (+ download), leads, users, roles,
// permission sets, filters, goals (+ results), mailbox, call logs, recents,
// deal summary and timeline, pipeline statistics, participants, flows,
// changelogs, per-record files/mail/followers/permitted users, projects and
// tasks, webhooks and settings. Credentials: the x-api-token header, the
// api_token query parameter (old clients; redacted in the request log) or
// an OAuth bearer token. Other methods answer 405.
// Each request is charged its operation's x-token-cost (Routes lists them; a
// test checks them against the specs).
//
// # Data
//
// Record i of a collection is a pure function of (Seed, i, its mutation
// overlay), so a million deals cost no memory: base records are rendered on
// demand, and only Insert/Update/Delete/Archive/SetDealProducts keep state.
// Base records' add_time and update_time grow with the id (listing by
// (update_time, id) binary-searches the base range and merges the small
// overlay). References point at existing records (persons, organizations,
// stages, pipelines, users). Custom fields of every type come in both shapes
// (v2 nested custom_fields; v1 top-level 40-hex keys with _currency, _until
// and address suffixes on leads) and match the Fields endpoints; hashes are
// deterministic per seed. About 2% of base deals are soft-deleted and 5%
// archived; 10% of leads and of projects are archived.
//
// Sizes scale from Options.Scale (deals): persons Scale/2, organizations
// Scale/5, activities 2*Scale, notes Scale, products Scale/50+5, leads
// Scale/4, files, tasks and call logs Scale/10, projects Scale/20, mail
// threads Scale/20, users 3+Scale/1000 (at most 100), 2 pipelines of 5 stages.
//
// Entity names for Insert, Update, Delete, Archive, Count and Records:
// deals, persons, organizations, activities, products, pipelines, stages,
// projects, tasks, notes, files, leads, callLogs, mailThreads; Count and
// Records also take deals_archived, leads_archived, deal_products,
// call_logs (= callLogs), lead_fields and note_fields, and Update takes
// deal_products (a product line id). Ids are as the API shows them (numbers;
// UUIDs for leads). Count/Records("deals") leave the deleted deals out;
// deals_archived lists them (status=open,won,lost,deleted, as pdx reads
// it); deal_products are those of every deal a listing shows (archived and
// deleted ones included, not purged ones).
//
// # The simulator's model of Pipedrive (stated assumptions)
//
//   - Beyond the streams' records: every third record (deals, persons,
//     organizations, products) has two followers (its owner and the next
//     user), others one; user 1 follows every other user. A deal's
//     participants are its person, plus a second on every fourth deal. Every
//     fifth deal has a 5% discount; every fourth product two variations,
//     every third an image; every fourth person a picture (picture_id).
//     Files attach to deals only; mail threads link a deal and a person. 10%
//     of base projects are archived (projects/archived). Every odd
//     organization is the parent of the next. Each deal and lead has one
//     completed conversion (Server.ConversionID). Searches match names and
//     titles (substring; exact_match for equality), result_score 1 or 0.5.
//   - Where a spec types a response more narrowly than the API answers, the
//     spec wins: deals/timeline answers one period spanning start_date plus
//     amount intervals; deals/summary values are in one currency (converted
//     1:1, there are no exchange rates); products/search codes are null (the
//     spec types them as integers).
//   - Changing a deal's products (SetDealProducts, or
//     Update("deal_products", productLineID)) ALSO bumps the parent deal's
//     update_time (SetDealProducts not with
//     Options.DealProductsKeepUpdateTime: Pipedrive documents neither way), and each deal product carries its own update_time. A
//     client finds deals whose products changed through
//     /api/v2/deals?updated_since=... and re-reads their products with
//     /api/v2/deals/products?deal_ids=... (at most 100 ids).
//   - Deleted deals are soft-deleted: listed with is_deleted:true (status
//     "deleted") only when the status filter includes deleted, for 30 days of
//     simulated time, then purged. Deleted projects likewise (status
//     "deleted"; Pipedrive does not say for how long). Other records vanish
//     on delete.
//   - Archiving bumps update_time, unless Options.ArchiveKeepsUpdateTime
//     (Pipedrive documents neither way). Projects show archive_time, and so
//     do archived v2 deals: the deal response schemas leave it out, but the
//     examples of GET /deals and /deals/archived show it (and the request
//     bodies declare it). The leads lists neither declare nor show one, so
//     the simulator renders none there.
//   - v2 cursors are keyset positions (update_time, id) bound to the query by
//     a checksum: a tampered cursor, or one reused with a different query, is
//     a 400. A record updated between pages moves to the end of an
//     update_time-ordered read and is seen again (clients dedupe on id).
//   - status on deals accepts a comma list (open,won,lost,deleted), as the
//     spec's description says, although its schema types it as a single enum
//     value; spectest patches such "comma separated" enum parameters.
//   - As reported of the real API, API-token callers get 404 from
//     /api/v1/{leads,leadLabels,leadSources,goals,mailbox}...; they work on
//     /v1/... (and on /api/v1/... for OAuth callers).
//   - Response fields are exactly those the spec declares (spectest's
//     Middleware checks it): v1 roles and callLogs pages carry no
//     next_start (clients continue at start+limit), and of the v2 Fields
//     lists only dealFields has description.
//   - Of the optional include_fields, deals simulate products_count only.
//   - /leads/archived sorts by sort=update_time (ascending for a bare field
//     name, as /leads; the spec does not say the direction) and ignores
//     updated_since (not among its parameters). /callLogs lists call logs in
//     the order they were added (by id), new ones last.
//   - sort_by values the spec allows but the simulator does not order by
//     (activities due_date, products name, stages order_nr) answer 400.
//
// # Clocks and limits
//
// The simulated clock (Now, Advance; default start 2026-11-27T12:00:00Z)
// drives record timestamps, OAuth token expiry (AccessTokenTTL, refresh
// tokens after 60 days unused) and the daily token budget (30000 x plan
// multiplier x seats, or Options.DailyBudget; resets at simulated midnight).
// The 2-second burst window per token (API token 20/40/100/120, OAuth
// 80/160/400/480 by plan, or Options.BurstLimit) runs on Options.Clock, real
// time by default, because clients pace against it with their own clock
// (client.Options.Clock): give both the same clock.Fake, or run both in a
// testing/synctest bubble with Options.InMemory. Every API response carries
// x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset (relative
// seconds), x-daily-ratelimit-token-limit and
// x-daily-ratelimit-token-remaining. A burst 429 says "too many requests in a
// 2 second window"; a budget 429 says "Daily token budget exceeded" with the
// daily remaining header at 0. API-token callers that keep going after more
// than 3x the burst size of 429s get Cloudflare's HTML 403. No Retry-After.
// Options.OtherClient plays another client of the same token, already
// running, that sends a share of the burst limit evenly (Server.OtherClient
// says how many of its requests the window refused).
//
// # Validating against the specs in tests
//
// The hook is Options.Wrap, which wraps the simulator's handler. The
// spectest subpackage (which this package does not import, so the pdx binary
// does not link kin-openapi) provides the middleware:
//
//	spec := spectest.Load(t)
//	srv := pipedrivetest.NewServer(pipedrivetest.Options{
//		Wrap: func(h http.Handler) http.Handler { return spec.Middleware(t, h) },
//	})
//
// Every request is then checked to be a valid, non-deprecated operation of
// the spec and every 200 response is validated against its schema.
//
// # Faults and observability
//
// Fault injects 500/502/503/504 or any status, connection resets mid-body,
// truncated JSON, slow responses, token expiry, HTML 403s and v1 lists
// sorted by update_time the other way than asked, per path or at
// random (reproducible from Fault.Seed). SetStatus makes the whole account
// answer 402/403. Requests returns the request log: API calls with their
// auth kind, status and token cost (api_token redacted), and /oauth/...
// calls with Auth "client".
package pipedrivetest
