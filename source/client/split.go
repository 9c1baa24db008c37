package client

import (
	"encoding/json"
	"errors"

	"github.com/pdxhq/pdx/source/internal/jsonscan"
)

var errNotList = errors.New(`"data" is not a list`)

// splitArray splits a JSON array into its elements, as sub-slices of data
// (no copy, no decode). null and an absent value give no elements.
func splitArray(data json.RawMessage) ([]json.RawMessage, error) {
	i := jsonscan.SkipSpace(data, 0)
	if i >= len(data) || string(data[i:min(i+4, len(data))]) == "null" {
		return nil, nil
	}
	if data[i] != '[' {
		return nil, errNotList
	}
	out, end := jsonscan.SplitArray(data, i)
	if end < 0 || jsonscan.SkipSpace(data, end) != len(data) {
		return nil, errTruncated
	}
	return out, nil
}
