#!/usr/bin/python3
"""ft2-write.py - writes a corsaro2 FlowTuple (FT2) file, byte for byte as
FT4-SPEC section 6 draws it, for test fixtures.

Reads one Python literal (a dict) from stdin, writes the file to stdout
(pipe it through gzip for a .gz file):

  {"header": {"major": 0, "minor": 0, "init_time": T, "interval": 60,
              "uri": "", "plugins": ["SIXU"]},      # optional global header
   "sixt": False,          # True: /8-optimised records (dst_ip low 3 bytes)
   "intervals": [
     {"number": 0, "time": T,          # interval start
      "end_time": T + 59,              # default time + 59
      "end_number": 0,                 # default: number
      "end": True,                     # False: leave the end marker out
      "classes": [[rec, ...], [...], [...]],   # classes 0, 1, 2
      "counts": [None, 7, None],       # announced counts (default: real)
      "magic": "SIXU"}, ...]}          # class magic (default by "sixt")

A record is (src, dst, src_port, dst_port, protocol, ttl, tcp_flags,
ip_len, packet_cnt); addresses dotted or integers.  For ICMP, src_port is
the type and dst_port the code.
"""
import ast
import struct
import sys


def addr(a):
    if isinstance(a, int):
        return a
    p = [int(x) for x in a.split(".")]
    return p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]


def main():
    spec = ast.literal_eval(sys.stdin.read())
    out = bytearray()
    h = spec.get("header")
    if h is not None:
        uri = h.get("uri", "").encode()
        plugins = h.get("plugins", ["SIXT" if spec.get("sixt") else "SIXU"])
        out += b"EDGRHEAD" + struct.pack(">BBIH", h.get("major", 0),
                                         h.get("minor", 0),
                                         h.get("init_time", 0),
                                         h.get("interval", 60))
        out += struct.pack(">H", len(uri)) + uri
        out += struct.pack(">H", len(plugins))
        for p in plugins:
            out += p.encode()
    sixt = spec.get("sixt", False)
    for iv in spec.get("intervals", []):
        out += b"EDGRINTR" + struct.pack(">HI", iv["number"], iv["time"])
        magic = iv.get("magic", "SIXT" if sixt else "SIXU").encode()
        counts = iv.get("counts", [None, None, None])
        for cls, recs in enumerate(iv.get("classes", [[], [], []])):
            n = counts[cls] if counts[cls] is not None else len(recs)
            out += magic + struct.pack(">HI", cls, n)
            for r in recs:
                src, dst, sport, dport, proto, ttl, flags, iplen, cnt = r
                out += struct.pack(">I", addr(src))
                if magic == b"SIXT":
                    out += struct.pack(">I", addr(dst) & 0xffffff)[1:]
                else:
                    out += struct.pack(">I", addr(dst))
                out += struct.pack(">HHBBBHI", sport, dport, proto, ttl, flags,
                                   iplen, cnt)
            if counts[cls] is not None and counts[cls] > len(recs):
                # the announced records run past the end: the file ends here
                sys.stdout.buffer.write(bytes(out))
                return
            out += magic + struct.pack(">H", cls)
        if iv.get("end", True):
            out += b"EDGRINTR" + struct.pack(
                ">HI", iv.get("end_number", iv["number"]),
                iv.get("end_time", iv["time"] + 59))
    sys.stdout.buffer.write(bytes(out))


main()
