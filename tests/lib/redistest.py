"""redistest - a real Redis server and a minimal RESP2 client for davy's tests (stdlib only).

No Python Redis module is needed or used. The API, as the suites use it:

    free_port() -> int
        A TCP port on 127.0.0.1 that was free a moment ago.

    RedisServer(password=None, unixsocket=False, aof=False, extra=(), port=None)
        Starts /usr/bin/redis-server (or $REDIS_SERVER) on a free loopback
        port (or the given one), in a fresh temporary folder, with
            --port P --bind 127.0.0.1 --save "" --appendonly no --dir TMP
        (aof=True: --appendonly yes --appendfsync always; password: --requirepass;
        unixsocket=True: also a socket TMP/redis.sock; extra: more arguments,
        appended as given), and waits until it answers PING (10 s, then
        RuntimeError naming the port and the server's log). A context manager
        (`with RedisServer() as srv:`); stop() on exit.
        .port, .dir, .password
        .url(db=0, user=None, password=None) -> "redis://[[user]:password@]127.0.0.1:P/db"
            (password defaults to the server's; password="" leaves it out;
            user=None gives ":password@"; user and password percent-encoded)
        .unix_path  the socket's path (None without unixsocket=True)
        .unix_url(db=0) -> "unix://[:password@]/path/redis.sock?db=N"
        .client(db=0) -> a connected Resp (AUTH and SELECT done)
        .kill(sig=signal.SIGKILL)  kills the server, waits for it
        .restart()   starts it again on the same port and folder (an AOF is reloaded;
                     a server still running is stopped with SIGTERM first)
        .stop()      SIGTERM (then SIGKILL), removes the folder
        .running()   True while the process lives
        RedisServer.available() -> (bool, why): whether redis-server can be run

    Resp(port=None, host="127.0.0.1", unix=None, timeout=10)
        One connection. .cmd(*args) sends one command (args: str, bytes, int,
        float) and returns its reply decoded: bulk strings as str where they
        are UTF-8 (else bytes), integers as int, arrays as lists, nil as
        None, status replies as str ("OK"); an error reply raises RespError
        (its message is str(e)). .pipeline([args, ...]) sends all commands,
        then reads all replies; returns them as a list, error replies as
        RespError objects in place (not raised). .close(); a context manager.

    RespError(Exception)

    xrange_all(r, key) -> [(id, {field: value}), ...]
        Every entry of stream key, oldest first (XRANGE in pages of 1000).
"""
import os
import shutil
import urllib.parse
import signal
import socket
import subprocess
import tempfile
import time

REDIS_SERVER = os.environ.get("REDIS_SERVER", "/usr/bin/redis-server")


def _q(s):
    """Percent-encodes a URL's user or password (':' '@' '/' included)."""
    return urllib.parse.quote(s, safe="")


def free_port():
    """A TCP port on 127.0.0.1 that was free when asked (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RespError(Exception):
    """An error reply from Redis (its text is the message)."""


def _encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, bytes):
            b = a
        elif isinstance(a, str):
            b = a.encode("utf-8")
        elif isinstance(a, (int, float)):
            b = repr(a).encode() if isinstance(a, float) else str(a).encode()
        else:
            raise TypeError("RESP argument of type %s" % type(a).__name__)
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


class Resp:
    """A minimal RESP2 client over one TCP or Unix socket (see the module doc)."""

    def __init__(self, port=None, host="127.0.0.1", unix=None, timeout=10):
        if unix:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(unix)
        else:
            if port is None:
                raise ValueError("Resp needs port= or unix=")
            self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("Redis closed the connection")
        self.buf += data

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode("utf-8", "replace")
        if kind == b"-":
            return RespError(rest.decode("utf-8", "replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self._exact(n)
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                return data
        if kind == b"*":
            n = int(rest)
            if n < 0:
                return None
            return [self._reply() for _ in range(n)]
        raise ConnectionError("unexpected RESP reply %r" % line[:80])

    def cmd(self, *args):
        """Sends one command; returns its decoded reply, raises RespError on an error reply."""
        self.sock.sendall(_encode(args))
        r = self._reply()
        if isinstance(r, RespError):
            raise r
        return r

    def pipeline(self, commands):
        """Sends every command (a list of argument tuples), then reads every
        reply; returns the replies in order, error replies as RespError objects."""
        commands = list(commands)
        if not commands:
            return []
        self.sock.sendall(b"".join(_encode(tuple(c)) for c in commands))
        return [self._reply() for _ in commands]


def xrange_all(r, key):
    """Every entry of stream key as (id, {field: value}), oldest first."""
    out, start = [], "-"
    while True:
        page = r.cmd("XRANGE", key, start, "+", "COUNT", 1000)
        for eid, fields in page:
            out.append((eid, dict(zip(fields[0::2], fields[1::2]))))
        if len(page) < 1000:
            return out
        ms, seq = page[-1][0].split("-")
        start = "%s-%d" % (ms, int(seq) + 1)


class RedisServer:
    """A redis-server of the tests' own, on a free loopback port (see the module doc)."""

    @staticmethod
    def available():
        if not os.access(REDIS_SERVER, os.X_OK):
            return False, "%s is not installed (apt-get install redis-server)" % REDIS_SERVER
        return True, ""

    def __init__(self, password=None, unixsocket=False, aof=False, extra=(), port=None):
        ok, why = self.available()
        if not ok:
            raise RuntimeError(why)
        self.password = password
        self.aof = aof
        self.extra = tuple(extra)
        self.dir = tempfile.mkdtemp(prefix="davy-redis-")
        self.unix_path = os.path.join(self.dir, "redis.sock") if unixsocket else None
        self.port = port or free_port()
        self.proc = None
        self.log_path = os.path.join(self.dir, "redis.log")
        self._start()

    def _args(self):
        a = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--dir", self.dir, "--logfile", self.log_path]
        a += ["--appendonly", "yes", "--appendfsync", "always"] if self.aof else ["--appendonly", "no"]
        if self.password is not None:
            a += ["--requirepass", self.password]
        if self.unix_path:
            a += ["--unixsocket", self.unix_path, "--unixsocketperm", "700"]
        return a + list(self.extra)

    def _start(self, timeout=10.0):
        self.proc = subprocess.Popen(self._args(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                last = "exited with status %d" % self.proc.returncode
                break
            try:
                with Resp(port=self.port, timeout=1) as r:
                    if self.password is not None:
                        r.cmd("AUTH", self.password)
                    if r.cmd("PING") == "PONG":
                        return
            except (OSError, ConnectionError, RespError) as e:
                last = str(e)
                if "LOADING" not in last:
                    time.sleep(0.05)
                else:
                    time.sleep(0.02)
        log = ""
        try:
            with open(self.log_path, errors="replace") as f:
                log = f.read()[-2000:]
        except OSError:
            pass
        self.kill()
        raise RuntimeError("redis-server on 127.0.0.1:%d did not answer PING within %.0f s (%s)\n%s"
                           % (self.port, timeout, last, log))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def url(self, db=0, user=None, password=None):
        pw = self.password if password is None else password
        auth = ""
        if user is not None or pw:
            auth = "%s:%s@" % (_q(user or ""), _q(pw or ""))
        return "redis://%s127.0.0.1:%d/%d" % (auth, self.port, db)

    def unix_url(self, db=0):
        if not self.unix_path:
            raise RuntimeError("RedisServer was started without unixsocket=True")
        auth = ":%s@" % _q(self.password) if self.password else ""
        return "unix://%s%s?db=%d" % (auth, self.unix_path, db)

    def client(self, db=0):
        r = Resp(port=self.port)
        if self.password is not None:
            r.cmd("AUTH", self.password)
        if db:
            r.cmd("SELECT", db)
        return r

    def kill(self, sig=signal.SIGKILL):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self):
        """Starts the server again, same port and folder; a running one is
        first stopped with SIGTERM (it keeps its folder)."""
        if self.running():
            self.kill(signal.SIGTERM)
        self._start()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
