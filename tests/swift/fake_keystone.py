#!/usr/bin/python3
"""tests/swift/fake_keystone.py - a stand-in for Keystone's token exchange
ONLY (POST /v3/auth/tokens), so ft-upload's Keystone v3 code can be tested
where no Keystone runs.  It is not Keystone: it checks the request the way
the v3 API defines it (password method, user by name in a domain, scope
to a project by name in a domain), and answers 201 with X-Subject-Token
and a token body whose catalog lists the real test Swift as the public
object-store endpoint of RegionOne.  The token it hands out is a real
TempAuth token of the test Swift, fetched with ST_AUTH/ST_USER/ST_KEY from
the environment, so uploads that follow really go to Swift.

    fake_keystone.py --port-file FILE --log FILE [--expires S] [--bogus-first N]

The accepted password is FAKE_KS_PASSWORD from the environment (never on
the command line); user "kuser" in domain "Default", project "test" in
domain "Default".  --expires: token lifetime in seconds (default 3600).
--bogus-first N: the first N tokens are not valid at Swift (to test
renewal on 401).  One line per token request goes to --log: "ok",
"bogus" or "denied".
"""
import argparse
import json
import os
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

args = None
issued = [0]


def swift_token():
    req = urllib.request.Request(os.environ["ST_AUTH"], headers={
        "X-Auth-User": os.environ["ST_USER"],
        "X-Auth-Key": os.environ["ST_KEY"]})
    with urllib.request.urlopen(req) as r:
        return r.headers["X-Auth-Token"], r.headers["X-Storage-Url"]


def log(what):
    with open(args.log, "a") as f:
        f.write(what + "\n")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        if self.path.rstrip("/") != "/v3/auth/tokens":
            self.reply(404, {"error": {"code": 404, "title": "Not Found"}})
            return
        n = int(self.headers.get("Content-Length", "0"))
        try:
            a = json.loads(self.rfile.read(n))["auth"]
            ident, scope = a["identity"], a["scope"]["project"]
            user = ident["password"]["user"]
            ok = (ident["methods"] == ["password"] and
                  user["name"] == "kuser" and
                  user["domain"] == {"name": "Default"} and
                  user["password"] == os.environ["FAKE_KS_PASSWORD"] and
                  scope == {"name": "test", "domain": {"name": "Default"}})
        except (KeyError, TypeError, ValueError):
            self.reply(400, {"error": {"code": 400, "title": "Bad Request"}})
            return
        if not ok:
            log("denied")
            self.reply(401, {"error": {"code": 401, "title": "Unauthorized"}})
            return
        token, url = swift_token()
        issued[0] += 1
        if issued[0] <= args.bogus_first:
            token = "AUTH_tkbogus%032d" % issued[0]
            log("bogus")
        else:
            log("ok")
        exp = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z",
                            time.gmtime(time.time() + args.expires))
        unreachable = "http://127.0.0.1:9/v1/AUTH_nowhere"
        catalog = [
            {"type": "identity", "name": "keystone", "endpoints": [
                {"interface": "public", "region": "RegionOne",
                 "url": "http://127.0.0.1:%d/v3" % self.server.server_port}]},
            {"type": "object-store", "name": "swift", "endpoints": [
                {"interface": "internal", "region": "RegionOne",
                 "region_id": "RegionOne", "url": unreachable},
                {"interface": "public", "region": "RegionOne",
                 "region_id": "RegionOne", "url": url},
                {"interface": "public", "region": "RegionTwo",
                 "region_id": "RegionTwo", "url": unreachable}]},
        ]
        self.reply(201, {"token": {"methods": ["password"], "expires_at": exp,
                                   "catalog": catalog}},
                   [("X-Subject-Token", token)])


def main():
    global args
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--expires", type=int, default=3600)
    ap.add_argument("--bogus-first", type=int, default=0)
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_port)
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
