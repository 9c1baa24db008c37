package streams

// reconciled are the streams whose records Pipedrive purges 30 days after a
// delete (deals, persons, organizations, activities, products, files; leads
// and notes vanish at once), each mapped to the streams whose full listings
// together hold every id that still exists: an archived deal left /deals
// for /deals/archived, it was not deleted. deal_products' listing is the
// periodic full pass over every deal's products. Call logs are never
// changed, only added and deleted (callLogsTail): a delete is all there is
// to catch beyond the watermark.
var reconciled = map[string][]string{
	"deals":          {"deals", "deals_archived"},
	"deals_archived": {"deals", "deals_archived"},
	"persons":        {"persons"},
	"organizations":  {"organizations"},
	"activities":     {"activities"},
	"products":       {"products"},
	"files":          {"files"},
	"notes":          {"notes"},
	"leads":          {"leads", "leads_archived"},
	"leads_archived": {"leads", "leads_archived"},
	"deal_products":  {"deal_products"},
	"call_logs":      {"call_logs"},
}

// Reconciled names the streams whose listings say which of this stream's
// ids still exist (nil: the stream is not delete-reconciled).
func (s Stream) Reconciled() []string { return reconciled[s.Name] }

// diffed are the child streams whose read of a parent lists all of its
// children (every page), mapped to the field of a child record naming its
// parent: a sink that keeps what it delivered per parent tombstones the
// children a covered parent no longer has (engine.ParentsCovered). The
// API lists no removed deal product, installment, participant or
// follower; these re-read a deal's set whenever the deal's update_time
// moves.
var diffed = map[string]string{
	"deal_products":     "deal_id",
	"deal_installments": "deal_id",
	"deal_participants": "related_item_id",
	"deal_followers":    "deal_id",
}

// DiffParent is the field naming a record's parent in a child stream whose
// parents' child sets are diffed ("" for the others).
func (s Stream) DiffParent() string { return diffed[s.Name] }

// Tombstoned reports whether the stream's records may come as tombstones
// (the primary key and _pdx_deleted_at): a delete-reconciled stream, or a
// diffed child stream. Its schema and CSV columns declare the field.
func (s Stream) Tombstoned() bool { return s.Reconciled() != nil || s.DiffParent() != "" }
