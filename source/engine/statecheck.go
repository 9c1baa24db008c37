package engine

import (
	"encoding/json"
	"time"

	"github.com/pdxhq/pdx/source/streams"
)

// ParseStreamState reads a saved stream_state the way an incremental Run
// will (its cursor key, or the old connector's update_time/modified). A
// store that loads states from a file calls it to reject a garbage cursor
// at load time, with an error naming the file, instead of the run failing
// later with only the stream's name. An unknown stream's state is not
// checked (Run refuses the stream itself).
func ParseStreamState(stream string, raw json.RawMessage) (time.Time, error) {
	st, ok := streams.Lookup(stream)
	if !ok {
		return time.Time{}, nil
	}
	return parseState(st, raw)
}
