#!/usr/bin/python3
"""tests/swift/relay.py - a TCP relay in front of the test Swift proxy
that can damage or slow what passes, to test ft-upload's verification
and retries against the real server.

    relay.py --port-file FILE --upstream PORT [--corrupt N] [--delay S]

Listens on 127.0.0.1 (a free port, written to FILE once listening) and
forwards every connection to 127.0.0.1:PORT.  --corrupt N flips the middle
byte of the body of each of the first N PUT requests whose body passes
(so the server sees a body that does not match its ETag header).  --delay S
sleeps S seconds per 64 KiB sent upstream (so an upload lasts long
enough to look at it while it runs).  Runs until killed.
"""
import argparse
import os
import socket
import threading
import time

lock = threading.Lock()
state = {"corrupt": 0}


def close_both(*socks):
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def pump_plain(src, dst):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            dst.sendall(b)
    except OSError:
        pass
    close_both(src, dst)


def pump_requests(src, dst, delay):
    """Client to server: follows requests (Content-Length bodies) so that
    the body of a PUT can be damaged."""
    buf = b""
    body_left = 0
    flip_at = -1
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            buf += b
            out = b""
            while buf:
                if body_left > 0:
                    k = min(body_left, len(buf))
                    chunk = bytearray(buf[:k])
                    if 0 <= flip_at < k:
                        with lock:
                            if state["corrupt"] > 0:
                                state["corrupt"] -= 1
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
                lines = head.split(b"\r\n")
                method = lines[0].split(b" ")[0]
                length = 0
                for ln in lines[1:]:
                    if ln.lower().startswith(b"content-length:"):
                        length = int(ln.split(b":", 1)[1])
                body_left = length
                if method == b"PUT" and length > 0:
                    flip_at = length // 2
            if delay:
                time.sleep(delay * max(1, len(out)) / 65536.0)
            dst.sendall(out)
    except OSError:
        pass
    close_both(src, dst)


def serve(conn, upstream, delay):
    try:
        up = socket.create_connection(("127.0.0.1", upstream))
    except OSError:
        conn.close()
        return
    t = threading.Thread(target=pump_plain, args=(up, conn), daemon=True)
    t.start()
    pump_requests(conn, up, delay)
    t.join()
    conn.close()
    up.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--upstream", type=int, required=True)
    ap.add_argument("--corrupt", type=int, default=0)
    ap.add_argument("--delay", type=float, default=0.0)
    a = ap.parse_args()
    state["corrupt"] = a.corrupt
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
