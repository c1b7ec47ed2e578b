#!/usr/bin/python3
"""tests/swift/relay.py - a TCP relay in front of the test Swift proxy
that can damage or slow what passes, to test ft-upload's verification
and retries against the real server.

    relay.py --port-file FILE --upstream PORT [--corrupt N] [--corrupt-get N]
             [--delay S]

Listens on 127.0.0.1 (a free port, written to FILE once listening) and
forwards every connection to 127.0.0.1:PORT.  --corrupt N flips the middle
byte of the body of each of the first N PUT requests whose body passes
(so the server sees a body that does not match its ETag header).
--corrupt-get N flips the middle byte of the body of each of the first N
2xx answers to a GET (so a reader gets data that does not match the
object's MD5).  --delay S
sleeps S seconds per 64 KiB sent upstream (so an upload lasts long
enough to look at it while it runs).  Each request line is printed on
stdout as it passes (so a test can wait for a request).  Runs until
killed.
"""
import argparse
import os
import socket
import threading
import time

lock = threading.Lock()
state = {"corrupt": 0, "corrupt_get": 0}


def close_both(*socks):
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def take(counter):
    """One more of the damages counter asks for, if any are left."""
    with lock:
        if state[counter] > 0:
            state[counter] -= 1
            return True
    return False


def pump(src, dst, on_head, delay=0.0):
    """Forwards src to dst message by message: a head, then a
    Content-Length body.  on_head(lines) gives the body's length (None: not
    framed, the rest of the connection passes as it is) and the name of
    the state counter that decides whether its middle byte is flipped
    (None: never)."""
    buf = b""
    body_left = 0
    flip_at = -1
    counter = None
    framed = True
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            buf += b
            out = b""
            while buf:
                if not framed:
                    out += buf
                    buf = b""
                    break
                if body_left > 0:
                    k = min(body_left, len(buf))
                    chunk = bytearray(buf[:k])
                    if 0 <= flip_at < k:
                        if take(counter):
                            chunk[flip_at] ^= 0xFF
                        flip_at = -1
                    elif flip_at >= k:
                        flip_at -= k
                    out += bytes(chunk)
                    buf = buf[k:]
                    body_left -= k
                    continue
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    break
                head = buf[:end + 4]
                buf = buf[end + 4:]
                out += head
                length, counter = on_head(head.split(b"\r\n"))
                if length is None:
                    framed = False
                    continue
                body_left = length
                flip_at = length // 2 if counter and length > 0 else -1
            if delay:
                time.sleep(delay * max(1, len(out)) / 65536.0)
            dst.sendall(out)
    except OSError:
        pass
    close_both(src, dst)


def content_length(lines):
    for ln in lines[1:]:
        if ln.lower().startswith(b"content-length:"):
            return int(ln.split(b":", 1)[1])
    return None


def on_request(methods):
    """Client to server: the body of a PUT may be damaged; the methods are
    noted, in order, for on_response."""
    def on_head(lines):
        print(lines[0].decode("latin-1"), flush=True)
        method = lines[0].split(b" ")[0]
        methods.append(method)
        return content_length(lines) or 0, "corrupt" if method == b"PUT" else None
    return on_head


def on_response(methods):
    """Server to client: the body of a 2xx answer to a GET may be damaged.
    From a chunked answer on (Swift sends some even to a HEAD), the rest of
    the connection passes as it is."""
    def on_head(lines):
        first = lines[0].split(b" ")
        status = int(first[1]) if len(first) > 1 and first[1].isdigit() else 0
        if status == 100:
            return 0, None
        method = methods.pop(0) if methods else b""
        length = content_length(lines)
        if status == 0 or any(ln.lower().startswith(b"transfer-encoding:")
                              for ln in lines[1:]):
            return None, None
        if length is not None and (method == b"HEAD" or status in (204, 304)):
            length = 0
        get = method == b"GET" and 200 <= status < 300
        return length, "corrupt_get" if get else None
    return on_head


def serve(conn, upstream, delay):
    try:
        up = socket.create_connection(("127.0.0.1", upstream))
    except OSError:
        conn.close()
        return
    methods = []
    t = threading.Thread(target=pump, args=(up, conn, on_response(methods)),
                         daemon=True)
    t.start()
    pump(conn, up, on_request(methods), delay)
    t.join()
    conn.close()
    up.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--upstream", type=int, required=True)
    ap.add_argument("--corrupt", type=int, default=0)
    ap.add_argument("--corrupt-get", type=int, default=0)
    ap.add_argument("--delay", type=float, default=0.0)
    a = ap.parse_args()
    state["corrupt"] = a.corrupt
    state["corrupt_get"] = a.corrupt_get
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(tmp, a.port_file)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=serve, args=(conn, a.upstream, a.delay),
                         daemon=True).start()


if __name__ == "__main__":
    main()
