#!/usr/bin/python3
"""Writes FT4 Avro files with python3-avro (a real, independent Avro
library), for tests: JSON lines on stdin, one record each, as printed by
`ft-cat -F json --ip-format int`; missing fields take FT4 defaults.

usage: ft4-json2avro.py OUT.avro [--codec null|deflate|snappy]
                        [--variant spec|no-spoof-masscan|pkt-sizes|reversed]

reversed: every field, in reverse order (a schema FT4 readers resolve by
name, whose records are not laid out as FT4's).
"""
import argparse
import json
import sys

import avro.datafile
import avro.io
import avro.schema

FIELDS = [
    ("time", "long"), ("src_ip", "long"), ("dst_net", "long"),
    ("dst_port", "int"), ("protocol", "int"), ("packet_cnt", "long"),
    ("uniq_dst_ips", "int"), ("uniq_pkt_sizes", "int"), ("uniq_ttls", "int"),
    ("uniq_src_ports", "int"), ("uniq_tcp_flags", "int"),
    ("first_syn_length", "int"), ("first_tcp_rwin", "int"),
    ("common_pktsizes", "array"), ("common_pktsize_freqs", "array"),
    ("common_ttls", "array"), ("common_ttl_freqs", "array"),
    ("common_srcports", "array"), ("common_srcport_freqs", "array"),
    ("common_tcpflags", "array"), ("common_tcpflag_freqs", "array"),
    ("maxmind_continent", "string"), ("maxmind_country", "string"),
    ("netacq_continent", "string"), ("netacq_country", "string"),
    ("prefix2asn", "long"), ("spoofed_packet_cnt", "long"),
    ("masscan_packet_cnt", "long"),
]


def schema_for(variant):
    fields = []
    for name, typ in FIELDS:
        if variant == "no-spoof-masscan" and name in (
                "spoofed_packet_cnt", "masscan_packet_cnt"):
            continue
        if variant == "pkt-sizes" and name == "common_pktsizes":
            name = "common_pkt_sizes"
        t = {"type": "array", "items": "long"} if typ == "array" else typ
        fields.append({"name": name, "type": t})
    if variant == "reversed":
        fields.reverse()
    return {"type": "record", "namespace": "org.caida.corsaro",
            "name": "flowtuple4", "fields": fields}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--codec", default="deflate")
    ap.add_argument("--variant", default="spec")
    a = ap.parse_args()
    sch = schema_for(a.variant)
    parsed = avro.schema.parse(json.dumps(sch))
    with open(a.out, "wb") as f:
        w = avro.datafile.DataFileWriter(f, avro.io.DatumWriter(), parsed,
                                         codec=a.codec)
        for line in sys.stdin:
            if not line.strip():
                continue
            rec = json.loads(line)
            out = {}
            for name, typ in FIELDS:
                default = [] if typ == "array" else ("??" if typ == "string" else 0)
                v = rec.get(name, default)
                if a.variant == "no-spoof-masscan" and name in (
                        "spoofed_packet_cnt", "masscan_packet_cnt"):
                    continue
                if a.variant == "pkt-sizes" and name == "common_pktsizes":
                    name = "common_pkt_sizes"
                out[name] = v
            w.append(out)
        w.close()


if __name__ == "__main__":
    main()
