#!/usr/bin/env python3
"""measure.py: time to the first frame and to the first Streams screen of
`pdx --demo` on a pseudo-terminal (80x24), against `pdx --version` started
the same way in the same run. Usage: measure.py PATH/TO/pdx [runs]

The keys are sent as soon as each screen shows (no fixed waits): enter for
the API token, enter to check the demo token, enter to go on. Like a real
terminal, the script answers pdx's queries (background colour, cursor
position) at once; unanswered, termenv waits 5 s for them."""
import os, pty, select, statistics, struct, sys, tempfile, time, fcntl, termios

def spawn(argv, env):
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    return pid, fd

def answer(fd, chunk):
    """Replies to the terminal queries in chunk, as a terminal would."""
    if b"\x1b]11;?" in chunk:
        os.write(fd, b"\x1b]11;rgb:0000/0000/0000\x1b\\")
    if b"\x1b[6n" in chunk:
        os.write(fd, b"\x1b[1;1R")

def read_until(fd, buf, wants, deadline):
    """Reads until every text in wants was seen in order; returns the times."""
    times = []
    for want in wants:
        while want.encode() not in buf[0]:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(want)
            r, _, _ = select.select([fd], [], [], left)
            if r:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise EOFError(want)
                answer(fd, chunk)
                buf[0] += chunk
        times.append(time.perf_counter())
        buf[0] = buf[0][buf[0].index(want.encode()) + len(want):]
    return times

def one(pdx, home):
    env = {"HOME": home, "XDG_CONFIG_HOME": home + "/.config", "XDG_STATE_HOME": home + "/.local/state",
           "XDG_DATA_HOME": home + "/.local/share", "XDG_CACHE_HOME": home + "/.cache",
           "TERM": "xterm-256color", "NO_COLOR": "1", "PATH": os.environ.get("PATH", "")}
    t0 = time.perf_counter()
    pid, fd = spawn([pdx, "--version"], env)
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        answer(fd, chunk)
    os.waitpid(pid, 0)
    version = time.perf_counter() - t0
    os.close(fd)

    buf = [b""]
    t0 = time.perf_counter()
    pid, fd = spawn([pdx, "--demo"], env)
    deadline = t0 + 30
    (first,) = read_until(fd, buf, ["How do you want to sign in?"], deadline)
    os.write(fd, b"\r")
    read_until(fd, buf, ["Token:"], deadline)
    os.write(fd, b"\r")
    read_until(fd, buf, ["The token works"], deadline)
    os.write(fd, b"\r")
    (streams,) = read_until(fd, buf, ["Choose what to export"], deadline)
    os.write(fd, b"\x03")
    os.waitpid(pid, 0)
    os.close(fd)
    return version, first - t0, streams - t0

def main():
    pdx = os.path.abspath(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    rows = []
    with tempfile.TemporaryDirectory() as home:
        for _ in range(runs):
            rows.append(one(pdx, home))
    med = [statistics.median(c) * 1000 for c in zip(*rows)]
    print(f"runs: {runs} (medians)")
    print(f"pdx --version to exit:          {med[0]:6.1f} ms")
    print(f"pdx --demo to the first frame:  {med[1]:6.1f} ms  ({med[1] / med[0]:.1f}x --version)")
    print(f"pdx --demo to the first Streams:{med[2]:6.1f} ms  ({med[2] / med[0]:.1f}x --version; three screens, the token checked against the simulator)")

main()
