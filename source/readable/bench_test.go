package readable_test

import (
	"testing"

	"github.com/pdxhq/pdx/source/pipedrivetest"
	"github.com/pdxhq/pdx/source/readable"
)

// BenchmarkDecodeSimDeals: AppendRecord over the simulator's deals (every
// custom field type), per record.
func BenchmarkDecodeSimDeals(b *testing.B) {
	s := pipedrivetest.NewServer(pipedrivetest.Options{Seed: 7, Scale: 2000})
	defer s.Close()
	fields := simFields(b, s, 2, "/api/v2/dealFields")
	recs := s.Records("deals")
	d := readable.NewDecoder(2, fields, nil, readable.Options{})
	var buf []byte
	size := 0
	for _, r := range recs {
		size += len(r)
	}
	b.SetBytes(int64(size / len(recs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var err error
		if buf, err = d.AppendRecord(buf[:0], recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
	}
}
