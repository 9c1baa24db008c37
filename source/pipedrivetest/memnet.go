package pipedrivetest

import (
	"context"
	"net"
	"sync"
)

// memListener serves the simulator over in-memory connections (net.Pipe)
// instead of a socket. Inside a testing/synctest bubble a goroutine blocked
// on a socket is not "durably blocked", so the bubble's clock would never
// move; a pipe blocks on channels, which it understands. See Options.InMemory.
type memListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newMemListener() *memListener {
	return &memListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *memListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// memAddr is where an in-memory simulator claims to listen: a loopback
// address no socket can reach (port 0), so only its HTTPClient gets through.
var memAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 0}

func (l *memListener) Addr() net.Addr { return memAddr }

// dial connects to the listener whatever the address (the transport's
// DialContext).
func (l *memListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	server, client := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		server.Close()
		client.Close()
		return nil, &net.OpError{Op: "dial", Net: "pipe", Addr: memAddr, Err: net.ErrClosed}
	case <-ctx.Done():
		server.Close()
		client.Close()
		return nil, ctx.Err()
	}
}
