package streams

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// readmeRow is one row of the README's stream table.
type readmeRow struct {
	endpoint, pk, mode, tokens string
}

// readmeStreams parses the table under "## Streams" in the README:
// | stream | endpoint | primary key | incremental | tokens per request | what |
func readmeStreams(t *testing.T) map[string]readmeRow {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatalf("the README is what users read first: %v", err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Streams\n")
	if !ok {
		t.Fatal(`README has no "## Streams" section`)
	}
	rows := map[string]readmeRow{}
	inTable := false
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break // the first table of the section ends
			}
			continue
		}
		inTable = true
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(cells) != 6 {
			t.Fatalf("README stream row has %d cells, want 6: %s", len(cells), line)
		}
		if cells[0] == "stream" || strings.HasPrefix(cells[0], "---") {
			continue
		}
		if _, dup := rows[cells[0]]; dup {
			t.Errorf("README lists %s twice", cells[0])
		}
		rows[cells[0]] = readmeRow{endpoint: cells[1], pk: cells[2], mode: cells[3], tokens: cells[4]}
	}
	if len(rows) == 0 {
		t.Fatal("README's stream table is empty")
	}
	return rows
}

// readmeMode is how the README's "incremental" column says a stream reads.
func readmeMode(s Stream) string {
	note := ""
	if s.Unordered {
		note = ", every page (no sort, no filter)"
	}
	switch {
	case !s.SupportsIncremental():
		return "full refresh" + note
	case s.Parent != nil:
		return "follows `" + strings.Join(s.Parent.Streams(), "` and `") + "`"
	case s.Strategy == SortedTail:
		return "oldest first on `" + s.Cursor + "` from the last read's end, daily sweep on `" + s.ArchiveTime + "`"
	case s.Strategy == TailWatermark:
		return "append-only: after the last record read"
	case s.Strategy == ServerUpdatedSince && s.ArchiveTime != "":
		return "server: `updated_since`, daily sweep on `" + s.ArchiveTime + "`"
	case s.Strategy == ServerUpdatedSince:
		return "server: `updated_since`"
	case s.Strategy == NewestFirst:
		return "newest first on `" + s.Cursor + "`, stops at the state"
	case s.ArchiveTime != "":
		return "client-side on `" + s.Cursor + "` and `" + s.ArchiveTime + "`" + note
	default:
		return "client-side on `" + s.Cursor + "`" + note
	}
}

// TestTableMatchesReadme: the README names every stream of the table and
// nothing else, each with what the table reads (version and path), its
// primary key, how it reads incrementally (and on which cursor) and its
// token cost. Adding a stream is a row here and a line there, kept true by
// this test.
func TestTableMatchesReadme(t *testing.T) {
	rows := readmeStreams(t)
	for _, s := range All() {
		row, ok := rows[s.Name]
		if !ok {
			t.Errorf("README stream table lacks %s", s.Name)
			continue
		}
		delete(rows, s.Name)
		if want := s.Version.String() + " `" + s.Path + "`"; !strings.EqualFold(row.endpoint, want) {
			t.Errorf("%s: README says %s, the table reads %s", s.Name, row.endpoint, want)
		}
		if want := strings.Join(s.PrimaryKey, ", "); row.pk != want {
			t.Errorf("%s: README primary key %q, the table's %q", s.Name, row.pk, want)
		}
		if want := readmeMode(s); row.mode != want {
			t.Errorf("%s: README says %q, the table reads %q", s.Name, row.mode, want)
		}
		if want := strconv.Itoa(s.TokenCost); row.tokens != want {
			t.Errorf("%s: README says %s tokens per request, the table %s", s.Name, row.tokens, want)
		}
	}
	for name := range rows {
		t.Errorf("README lists %s, which is not a stream", name)
	}
}
