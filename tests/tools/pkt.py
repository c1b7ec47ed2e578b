#!/usr/bin/python3
"""Builds exact test frames for CLI tests (printed as pcap-from-hex lines).

Import it (sys.path) or run it with a Python expression per line on stdin:
    echo 'line(100, eth(ip4("1.2.3.4", "44.1.2.3", tcp(5000, 23, "S"))))' | pkt.py
"""
import socket
import struct
import sys


def addr(a):
    return struct.unpack("!I", socket.inet_aton(a))[0]


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


FLAGS = {"F": 1, "S": 2, "R": 4, "P": 8, "A": 16, "U": 32, "E": 64, "C": 128}


def tcp(sport, dport, flags="S", win=1024, opts=b"", data=b"", doff=None):
    f = flags if isinstance(flags, int) else sum(FLAGS[c] for c in flags)
    hl = doff if doff is not None else (20 + len(opts)) // 4
    return (6, struct.pack("!HHIIBBHHH", sport, dport, 1, 0, hl << 4, f, win,
                           0, 0) + opts + data)


def udp(sport, dport, data=b"x" * 8):
    return (17, struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data)


def icmp(typ, code, data=b"\0" * 8):
    return (1, struct.pack("!BBHI", typ, code, 0, 0) + data)


def raw(proto, data=b"\0" * 20):
    return (proto, data)


def ip4(src, dst, l4, ttl=64, frag=0, ipid=1, opts=b"", length=None,
        ihl=None, version=4):
    proto, payload = l4
    hl = ihl if ihl is not None else (20 + len(opts)) // 4
    total = length if length is not None else 20 + len(opts) + len(payload)
    h = struct.pack("!BBHHHBBHII", (version << 4) | hl, 0, total, ipid, frag,
                    ttl, proto, 0, addr(src), addr(dst)) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def eth(payload, ethertype=0x0800, vlans=()):
    hdr = b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02"
    for tpid, vid in vlans:
        hdr += struct.pack("!HH", tpid, vid)
    return hdr + struct.pack("!H", ethertype) + payload


def sll(payload, proto=0x0800):
    return struct.pack("!HHH8sH", 0, 1, 6, b"\x02\0\0\0\0\x01\0\0", proto) + payload


def sll2(payload, proto=0x0800):
    return struct.pack("!HHIHBB8s", proto, 0, 1, 1, 0, 6, b"\x02\0\0\0\0\x01\0\0") + payload


def null(payload, af=2, big=False):
    return struct.pack(">I" if big else "<I", af) + payload


def line(ts, frame, wirelen=0):
    sec = int(ts)
    usec = int(round((ts - sec) * 1e6))
    return "%d.%06d %d %s" % (sec, usec, wirelen, frame.hex())


if __name__ == "__main__":
    for expr in sys.stdin:
        expr = expr.strip()
        if expr and not expr.startswith("#"):
            print(eval(expr))
