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
