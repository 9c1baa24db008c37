package output

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pdxhq/pdx/store/atomicfile"
)

// fileFS is the part of the file system a stream file uses; tests inject
// failures (a full disk) through it.
type fileFS interface {
	OpenFile(name string, flag int, perm os.FileMode) (file, error)
}

type file interface {
	io.Writer
	Sync() error
	Close() error
	Truncate(size int64) error
	Seek(offset int64, whence int) (int64, error)
	io.ReaderAt
	Stat() (os.FileInfo, error)
}

type osFS struct{}

func (osFS) OpenFile(name string, flag int, perm os.FileMode) (file, error) {
	return os.OpenFile(name, flag, perm)
}

// streamFile is one stream's output file.
//
// Full refresh writes <dir>/.<stream>.<ext>.partial and renames it over the
// final file when the stream completes, so a reader (or a killed run) sees the
// old file or the new one, never half of one. Incremental appends to the
// final file; the bytes it holds at each checkpoint are synced before the
// checkpoint returns.
type streamFile struct {
	final   string
	path    string
	full    bool
	f       file
	w       *bufio.Writer
	size    int64 // bytes written, buffered included
	durable int64 // bytes known to be on disk
	created bool  // the file started empty (a header is due)
}

// partialPath is where a full refresh of final is written.
func partialPath(final string) string {
	return filepath.Join(filepath.Dir(final), "."+filepath.Base(final)+".partial")
}

const bufSize = 256 << 10

// openFull starts a full refresh: a fresh partial file (a stale one from a
// killed run is replaced).
func openFull(fsys fileFS, final string) (*streamFile, error) {
	p := partialPath(final)
	f, err := fsys.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", p, err)
	}
	return &streamFile{final: final, path: p, full: true, f: f, w: bufio.NewWriterSize(f, bufSize), created: true}, nil
}

// appendOpts say how to reopen an incremental file.
type appendOpts struct {
	fresh      bool  // no saved state: start the file over
	resumeSize int64 // size recorded at the last saved checkpoint, -1 unknown
	// lastRecordEnd finds where the last complete record ends in a file of
	// the given size (the torn-line repair when no size was recorded).
	lastRecordEnd func(r io.ReaderAt, size int64) (int64, error)
}

// openAppend opens an incremental file, repairing what a killed run left:
// bytes after the last saved checkpoint are cut (they will be fetched again),
// and a torn last record is removed. notes says what was done.
func openAppend(fsys fileFS, final string, o appendOpts) (sf *streamFile, notes []string, err error) {
	flag := os.O_CREATE | os.O_RDWR
	if o.fresh {
		flag |= os.O_TRUNC
	}
	f, err := fsys.OpenFile(final, flag, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", final, err)
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("stat %s: %w", final, err)
	}
	size := fi.Size()
	keep := size
	switch {
	case o.fresh || size == 0:
	case o.resumeSize >= 0 && o.resumeSize <= size:
		keep = o.resumeSize
		if keep < size {
			notes = append(notes, fmt.Sprintf("removed %d bytes from the end of %s written after the last saved checkpoint (the last run stopped before saving its state: killed, or a write that failed, e.g. a full disk); those records are fetched again", size-keep, final))
		}
	default:
		if o.resumeSize > size {
			notes = append(notes, fmt.Sprintf("warning: %s is shorter (%d bytes) than at the last saved checkpoint (%d bytes): it was changed outside pdx and may miss records; 'pdx state reset --stream NAME' gets a full copy", final, size, o.resumeSize))
		}
		end, err := o.lastRecordEnd(f, size)
		if err != nil {
			return nil, nil, fmt.Errorf("check the end of %s: %w", final, err)
		}
		if end < size {
			notes = append(notes, fmt.Sprintf("repaired %s: removed a torn last record (%d bytes) left by a run that stopped mid-write (killed, or a failed write such as a full disk)", final, size-end))
		}
		keep = end
	}
	if keep < size {
		if err := f.Truncate(keep); err != nil {
			return nil, nil, fmt.Errorf("repair %s: %w", final, err)
		}
		if err := f.Sync(); err != nil {
			return nil, nil, fmt.Errorf("sync %s: %w", final, err)
		}
	}
	if _, err := f.Seek(keep, io.SeekStart); err != nil {
		return nil, nil, fmt.Errorf("seek %s: %w", final, err)
	}
	return &streamFile{final: final, path: final, f: f, w: bufio.NewWriterSize(f, bufSize), size: keep, durable: keep, created: keep == 0}, notes, nil
}

func (s *streamFile) write(p []byte) error {
	n, err := s.w.Write(p)
	s.size += int64(n)
	if err != nil {
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	return nil
}

// writeThrough is write for p already as large as a write should be (a
// chunk of --readable's lines): after the bytes buffered before it, p goes
// to the file as it is, not copied into the buffer first.
func (s *streamFile) writeThrough(p []byte) error {
	if s.w.Buffered() > 0 {
		if err := s.w.Flush(); err != nil {
			return fmt.Errorf("write %s: %w", s.path, err)
		}
	}
	n, err := s.f.Write(p)
	s.size += int64(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	return nil
}

// sync makes every written byte durable.
func (s *streamFile) sync() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", s.path, err)
	}
	s.durable = s.size
	return nil
}

// commit finishes the file: a full refresh replaces the final file.
func (s *streamFile) commit() error {
	if err := s.sync(); err != nil {
		return err
	}
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	s.f = nil
	if s.full {
		if err := atomicfile.Rename(s.path, s.final); err != nil {
			return err
		}
		s.path = s.final
	}
	return nil
}

// abort stops writing. A full refresh drops its partial file (the previous
// complete file stays); an incremental file keeps what was synced (the state
// saved so far covers exactly that) and tries to sync the rest.
func (s *streamFile) abort() error {
	if s.f == nil {
		return nil
	}
	var err error
	if s.full {
		s.f.Close()
		err = os.Remove(s.path)
		if errors.Is(err, os.ErrNotExist) {
			err = nil
		}
	} else {
		err = s.sync()
		if cerr := s.f.Close(); err == nil {
			err = cerr
		}
	}
	s.f = nil
	return err
}

// lastLineEnd is the torn-line repair of line-per-record files: the offset
// just after the last '\n' (0 when there is none).
func lastLineEnd(r io.ReaderAt, size int64) (int64, error) {
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	for end := size; end > 0; {
		start := max(end-chunk, 0)
		n, err := r.ReadAt(buf[:end-start], start)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}
