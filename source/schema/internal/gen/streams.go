package gen

import (
	"strings"

	"github.com/pdxhq/pdx/source/streams"
)

// Streams lists every stream of the declarative table.
func Streams() []Stream {
	var out []Stream
	for _, s := range streams.All() {
		g := Stream{Name: s.Name, Version: int(s.Version), Path: s.Path, RecordsPath: s.RecordsPath, ArchiveTime: s.ArchiveTime}
		if inc := s.Params.Get("include_fields"); inc != "" {
			g.IncludeFields = strings.Split(inc, ",")
		}
		if s.Parent != nil && s.Parent.ParentKey != "" {
			p, _ := streams.Lookup(s.Parent.Parents[0].Stream)
			g.ParentKey, g.ParentVersion, g.ParentPath, g.ParentRecords = s.Parent.ParentKey, int(p.Version), p.Path, p.RecordsPath
		}
		out = append(out, g)
	}
	return out
}

// GenerateFiles loads both specs and generates the schema of every stream.
func GenerateFiles(v1Path, v2Path string) (map[string][]byte, error) {
	v1, err := Load(v1Path)
	if err != nil {
		return nil, err
	}
	v2, err := Load(v2Path)
	if err != nil {
		return nil, err
	}
	return Generate(v1, v2, Streams())
}
