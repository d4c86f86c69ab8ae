#!/usr/bin/env python3
"""hub.py - a loopback stand-in for the Hugging Face Hub (tests only).

Serves the files under ROOT as the dataset repo REPO at one revision, with
the Hub's behaviour that `blalm fetch` depends on:

  GET  /api/datasets/REPO/tree/REV/PATH[?recursive=true]   JSON listing,
       paginated (--page-size) through `Link: <url>; rel="next"`
  HEAD|GET /datasets/REPO/resolve/REV/PATH   302 to /cdn/... with
       X-Repo-Commit, X-Linked-Etag, X-Linked-Size
  GET  /cdn/<sha256>/PATH?sig=...            the bytes: Range/206, ETag
  GET  /_control/stats                       request counters (JSON)
  POST /_control/fault?name=F[&on=1]         switch a fault at run time
  POST /_control/rescan                      read ROOT again (upstream changed)

Files kept in git rather than LFS (--plain GLOB, repeatable, matched against
the repo path): the listing entry has no "lfs" and its "oid" is the git blob
id, sha1("blob <size>\0" + bytes); /resolve/ answers 200 with the bytes itself
(no redirect, no X-Linked-*), Range/206 too, with ETag "<that oid>". This is
what the Hub does for such files (huggingface_hub reads the ETag of a non-LFS
file as its git oid), reproduced here from the protocol, not from Hub code.
For LFS files the listing's "oid" is a stand-in value (the Hub gives the
pointer file's blob id); only lfs.oid is meaningful.

Faults (--fault NAME, repeatable):
  500-once      first CDN GET of each file answers 500
  429-once      first listing page and first resolve of each file answer 429
                with Retry-After: 2 and RateLimit headers
  ratelimit-once  first listing page answers 429 with only the Hub's
                RateLimit headers (no Retry-After)
  cut-once      first CDN GET of each file sends half the body, then closes
  bad-sha       the listing (and X-Linked-Etag) give a wrong lfs.oid for every
                file: the bytes do not hash to what the Hub says
  hostile-dotdot / hostile-abs / hostile-ctrl
                the listing holds one extra entry with that kind of path
  ignore-range  the CDN ignores Range and always answers 200 with everything
  redirect-away a listing's next-page Link points at another origin
  gated         listing works, but /resolve/ answers 403 (terms not accepted)
  cdn-403       the CDN answers 403 with an S3-style XML body that quotes the
                signed link (an expired signature)
  link-split    the next-page link comes in the first of two Link field lines
                (the second holds rel="first"), as RFC 9110 allows
  link-relative the next-page link is a relative reference, <?recursive=..&cursor=N>
  link-loop     every page's next-page link points at the first page again
  no-oid        files kept in git (--plain) are listed without an "oid"
                (a mirror that gives no blob id): only their size is known
  listing-echo  listing pages answer 200 with a JSON object (not an array)
                that echoes the Authorization field the client sent
  listing-gzip  listing pages come gzip-compressed with Content-Encoding: gzip,
                though the client never asked for it
  no-etag       file answers (HEAD and GET, /resolve/ and the CDN) send no ETag
  no-commit     files kept in git (--plain) are answered without X-Repo-Commit
                (a mirror that names no commit: a client asks by revision)
  etag-moved    /resolve/ (HEAD and GET) gives an X-Linked-Etag that is not the
                listed sha256: the file changed on the Hub after the listing
  size-moved    /resolve/ gives an X-Linked-Size one more than the listed size
  gone          /resolve/ answers 404 EntryNotFound (with X-Error-Message, that
                holds an escape character) for files that are in the listing
  416-range     the CDN answers 416 to every Range request
  short-once    first file GET of each file (CDN, or /resolve/ for a file kept in
                git) sends half the body with neither Content-Length nor chunked
                encoding, then closes: the body looks complete to HTTP, but it
                is short (a close-delimited answer cut by a proxy)
  trickle       every file GET sends at most 1000 bytes of what it asked for, as
                short-once does (close-delimited): the rest never comes whole
  truncated     the file host's copy of each file is 1000 bytes shorter than
                the listing and X-Linked-Size say (Range beyond it: 416)
  short-range   a Range request gets at most 100000 bytes: a 206 whose
                Content-Range names the shorter range (RFC 9110 lets a server
                send less than asked)
  resolve-loop  /resolve/ answers 307 with a relative Location that names the
                same URL again (a redirect loop), without X-Linked-* headers
  resolve-away  /resolve/ answers 307 to another origin (http://other.invalid:1)
                without the Hub's X-Repo-Commit / X-Linked-* headers
  resolve-https /resolve/ answers 301 to the same host over https (a server
                that moves plain http to https), without those headers
--renamed-from OLD (repeatable): the repo was renamed (or moved) from OLD:
  /api/datasets/OLD/... and /datasets/OLD/... answer 307 with a relative
  Location, the same path under REPO (query kept), and no X-Repo-Commit or
  X-Linked-* headers, as the Hub answers for a renamed repo.
Stats: resolve_commit counts GETs of /resolve/ pinned to the commit (not the
revision asked for); renamed (renamed_head) the requests (HEADs) answered by
--renamed-from's 307.
--require-token TOKEN: 401 unless `Authorization: Bearer TOKEN`.
--rate BYTES: file bodies go out at about BYTES per second (kill tests).
Prints the port on stdout, then serves until killed (or, with --parent-pid,
until that process is gone). Stdlib only.
"""
import argparse
import fnmatch
import hashlib
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import lifeline

COMMIT = "4f1c0a7d2e9b8c6a5f3e1d0c9b8a7f6e5d4c3b2a"


class Hub:
    def __init__(self, args):
        self.root = os.path.abspath(args.root)
        self.repo = args.repo
        self.revision = args.revision
        self.page_size = args.page_size
        self.faults = set(args.fault or [])
        self.token = args.require_token
        self.rate = args.rate
        self.plain = args.plain or []
        self.renamed_from = args.renamed_from or []
        self.lock = threading.Lock()
        self.stats = {"requests": 0, "tree": 0, "resolve": 0, "head": 0, "cdn": 0, "renamed": 0, "renamed_head": 0,
                      "cdn_bytes": 0, "ranges": 0, "resolve_commit": 0, "files": {}}
        self.seen = set()          # (fault, key) pairs already fired
        self.scan()

    def is_plain(self, rel):
        return any(fnmatch.fnmatchcase(rel, g) for g in self.plain)

    def scan(self):
        files = {}                 # repo path -> (abs path, size, sha256, git blob oid)
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=True):
            dirnames.sort()
            for fn in sorted(filenames):
                full = os.path.join(dirpath, fn)
                rel = os.path.relpath(full, self.root).replace(os.sep, "/")
                size = os.path.getsize(full)
                h = hashlib.sha256()
                g = hashlib.sha1(b"blob %d\0" % size)
                with open(full, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                        g.update(chunk)
                files[rel] = (full, size, h.hexdigest(), g.hexdigest())
        with self.lock:
            self.files = files
            self.by_sha = {v[2]: k for k, v in files.items()}

    def once(self, fault, key):
        """True the first time a fault fires for key."""
        if fault not in self.faults:
            return False
        with self.lock:
            if (fault, key) in self.seen:
                return False
            self.seen.add((fault, key))
            return True

    def count(self, name, path=None, n=1):
        with self.lock:
            self.stats[name] += n
            if path is not None:
                per = self.stats["files"].setdefault(path, {"resolve": 0, "cdn": 0, "head": 0})
                per[name] = per.get(name, 0) + n

    def listing(self, prefix, recursive):
        entries = []
        dirs = set()
        for rel in sorted(self.files):
            if prefix and not (rel == prefix or rel.startswith(prefix + "/")):
                continue
            rest = rel[len(prefix) + 1:] if prefix else rel
            parts = rest.split("/")
            for i in range(1, len(parts)):
                d = "/".join(([prefix] if prefix else []) + parts[:i])
                if d not in dirs and (recursive or i == 1):
                    dirs.add(d)
                    entries.append({"type": "directory", "oid": hashlib.sha1(d.encode()).hexdigest(),
                                    "size": 0, "path": d})
            if not recursive and len(parts) > 1:
                continue
            _, size, sha, git_oid = self.files[rel]
            if self.is_plain(rel):
                if "bad-sha" in self.faults:
                    git_oid = hashlib.sha1(b"not the content" + git_oid.encode()).hexdigest()
                if "no-oid" in self.faults:
                    entries.append({"type": "file", "size": size, "path": rel})
                else:
                    entries.append({"type": "file", "oid": git_oid, "size": size, "path": rel})
                continue
            oid = sha
            if "bad-sha" in self.faults:
                oid = hashlib.sha256(b"not the content" + sha.encode()).hexdigest()
            entries.append({"type": "file", "oid": hashlib.sha1(rel.encode()).hexdigest(),
                            "size": size, "path": rel,
                            "lfs": {"oid": oid, "size": size, "pointerSize": 134}})
        base = prefix + "/" if prefix else ""
        hostile = {"hostile-dotdot": base + "../../escaped.parquet",
                   "hostile-abs": "/tmp/blalm-hub-escaped.parquet",
                   "hostile-ctrl": base + "bad\x1bname.parquet"}
        for fault, path in hostile.items():
            if fault in self.faults:
                entries.append({"type": "file", "oid": "0" * 40, "size": 4, "path": path,
                                "lfs": {"oid": "0" * 64, "size": 4, "pointerSize": 134}})
        entries.sort(key=lambda e: e["path"])
        return entries


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hub-standin/1"

    def log_message(self, fmt, *args):
        pass

    @property
    def hub(self):
        return self.server.hub

    def send(self, status, body=b"", headers=None, ctype="application/json", links=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        for v in links:            # one Link field line each
            self.send_header("Link", v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, msg, headers=None):
        self.send(status, json.dumps({"error": msg}), headers)

    def authorized(self):
        if not self.hub.token:
            return True
        if self.headers.get("Authorization", "") == "Bearer " + self.hub.token:
            return True
        self.error(401, "Invalid credentials in Authorization header")
        return False

    def base_url(self):
        return "http://%s:%d" % self.server.server_address[:2]

    def do_HEAD(self):
        self.route()

    def do_GET(self):
        self.route()

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        u = urllib.parse.urlsplit(self.path)
        if u.path == "/_control/fault":
            q = urllib.parse.parse_qs(u.query)
            name = q.get("name", [""])[0]
            with self.hub.lock:
                if q.get("on", ["1"])[0] == "1":
                    self.hub.faults.add(name)
                else:
                    self.hub.faults.discard(name)
            return self.send(200, json.dumps(sorted(self.hub.faults)))
        if u.path == "/_control/rescan":
            self.hub.scan()
            return self.send(200, json.dumps(len(self.hub.files)))
        self.error(404, "not found")

    def route(self):
        hub = self.hub
        u = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(u.path)
        if path == "/_control/stats":
            with hub.lock:
                return self.send(200, json.dumps(hub.stats))
        hub.count("requests")
        tree = "/api/datasets/%s/tree/" % hub.repo
        resolve = "/datasets/%s/resolve/" % hub.repo
        for old in hub.renamed_from:
            for pre in ("/api/datasets/", "/datasets/"):
                if path.startswith(pre + old + "/"):
                    hub.count("renamed")
                    if self.command == "HEAD":
                        hub.count("renamed_head")
                    new = pre + hub.repo + u.path[len(pre + old):]   # names in plain ASCII
                    loc = new + ("?" + u.query if u.query else "")
                    return self.send(307, "Temporary Redirect. Redirecting to " + loc,
                                     {"Location": loc}, ctype="text/plain")
        if path.startswith(tree):
            return self.tree(path[len(tree):], urllib.parse.parse_qs(u.query))
        if path.startswith(resolve):
            return self.resolve(path[len(resolve):])
        if path.startswith("/cdn/"):
            return self.cdn(path[len("/cdn/"):], urllib.parse.parse_qs(u.query))
        if path.startswith("/api/datasets/") or path.startswith("/datasets/"):
            return self.error(404, "Repository not found")
        self.error(404, "not found")

    def split_rev(self, rest):
        rev, _, p = rest.partition("/")
        return rev, p.strip("/")

    def tree(self, rest, q):
        hub = self.hub
        hub.count("tree")
        if not self.authorized():
            return
        rev, prefix = self.split_rev(rest)
        if rev != hub.revision and rev != COMMIT:
            return self.error(404, "Invalid rev id: " + rev)
        cursor = int(q.get("cursor", ["0"])[0])
        if hub.once("ratelimit-once", "tree"):
            return self.error(429, "rate limited", {"RateLimit": '"api";r=0;t=3',
                              "RateLimit-Policy": '"fixed window";"api";q=500;w=300'})
        if hub.once("429-once", "tree"):
            return self.error(429, "rate limited", {"Retry-After": "2",
                              "RateLimit": '"api";r=0;t=2',
                              "RateLimit-Policy": '"fixed window";"api";q=500;w=300'})
        if "listing-echo" in hub.faults:
            return self.send(200, json.dumps({"you sent": self.headers.get("Authorization", "")}))
        entries = hub.listing(prefix, q.get("recursive", ["false"])[0] == "true")
        if prefix and not entries:
            return self.error(404, "Entry not found")
        page = entries[cursor:cursor + hub.page_size]
        headers = {}
        links = []
        if cursor + hub.page_size < len(entries):
            nxt = 0 if "link-loop" in hub.faults else cursor + hub.page_size
            nq = {"recursive": q.get("recursive", ["false"])[0], "cursor": str(nxt)}
            origin = self.base_url()
            if "redirect-away" in hub.faults:
                origin = "http://evil.invalid:1"
            if "link-relative" in hub.faults:
                links.append('<?%s>; rel="next"' % urllib.parse.urlencode(nq))
            else:
                links.append('<%s/api/datasets/%s/tree/%s/%s?%s>; rel="next"' % (
                    origin, hub.repo, rev, urllib.parse.quote(prefix), urllib.parse.urlencode(nq)))
            if "link-split" in hub.faults:
                links.append('<%s%s>; rel="first"' % (self.base_url(), self.path.split("&cursor")[0]))
        body = json.dumps(page).encode()
        if "listing-gzip" in hub.faults:
            import gzip
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        self.send(200, body, headers, links=links)

    def resolve(self, rest):
        hub = self.hub
        rev, p = self.split_rev(rest)
        hub.count("head" if self.command == "HEAD" else "resolve", p)
        if not self.authorized():
            return
        if rev != hub.revision and rev != COMMIT:
            return self.error(404, "Invalid rev id: " + rev)
        if p not in hub.files:
            return self.error(404, "Entry not found", {"X-Error-Code": "EntryNotFound"})
        if "gone" in hub.faults:
            return self.error(404, "Entry not found", {"X-Error-Code": "EntryNotFound",
                              "X-Error-Message": "Entry not found: \x1b[31m%s" % p})
        if self.command == "GET" and rev == COMMIT:
            hub.count("resolve_commit")
        if "resolve-loop" in hub.faults:
            return self.send(307, "", {"Location": self.path}, ctype="text/plain")
        if "resolve-away" in hub.faults:
            return self.send(307, "", {"Location": "http://other.invalid:1" + self.path}, ctype="text/plain")
        if "resolve-https" in hub.faults:
            return self.send(301, "", {"Location": "https" + self.base_url()[4:] + self.path}, ctype="text/plain")
        if "gated" in hub.faults:
            return self.error(403, "Access to dataset %s is restricted. You must have access to it "
                              "and be authenticated to access it. Please log in." % hub.repo,
                              {"X-Error-Code": "GatedRepo"})
        if self.command == "GET" and hub.once("429-once", "resolve:" + p):
            return self.error(429, "rate limited", {"Retry-After": "2",
                              "RateLimit": '"resolvers";r=0;t=2'})
        full, size, sha, git_oid = hub.files[p]
        if hub.is_plain(p):        # kept in git: the bytes come from /resolve/ itself
            if self.command == "GET" and hub.once("500-once", p):
                return self.error(500, "internal error (injected)")
            return self.body(full, size, git_oid, p,
                             {} if "no-commit" in hub.faults else {"X-Repo-Commit": COMMIT})
        loc = "/cdn/%s/%s?sig=%s" % (sha, urllib.parse.quote(p), hashlib.md5(p.encode()).hexdigest())
        linked_etag = sha
        if "bad-sha" in hub.faults:    # the Hub agrees with its listing; the bytes do not
            linked_etag = hashlib.sha256(b"not the content" + sha.encode()).hexdigest()
        if "etag-moved" in hub.faults:
            linked_etag = hashlib.sha256(b"new " + sha.encode()).hexdigest()
        linked_size = size + 1 if "size-moved" in hub.faults else size
        self.send(302, "", {"Location": loc, "X-Repo-Commit": COMMIT,
                            "X-Linked-Etag": '"%s"' % linked_etag, "X-Linked-Size": str(linked_size),
                            "ETag": '"%s"' % hashlib.sha1(p.encode()).hexdigest()})

    def cdn(self, rest, q):
        hub = self.hub
        sha, _, p = rest.partition("/")
        hub.count("cdn", p)
        if sha not in hub.by_sha or hub.by_sha[sha] != p or "sig" not in q:
            return self.error(403, "bad signature")
        full, size, _, _ = hub.files[p]
        if "cdn-403" in hub.faults:
            body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code>"
                    "<Message>Request has expired</Message><Url>%s</Url></Error>" % self.path)
            return self.send(403, body, ctype="application/xml")
        if self.command == "GET" and hub.once("500-once", p):
            return self.error(500, "internal error (injected)")
        return self.body(full, size, sha, p)

    def body(self, full, size, etag, p, extra=None):
        """The bytes of a file, honouring Range; counted as CDN traffic."""
        hub = self.hub
        if "truncated" in hub.faults and size > 1000:
            size -= 1000
        start, end = 0, size - 1
        status = 200
        rng = self.headers.get("Range")
        if rng and "416-range" in hub.faults:
            hub.count("ranges")
            return self.send(416, "", {"Content-Range": "bytes */%d" % size})
        if rng and "ignore-range" not in hub.faults:
            hub.count("ranges")
            spec = rng.strip()
            if not spec.startswith("bytes=") or "," in spec:
                return self.error(416, "unsupported range")
            a, _, b = spec[6:].partition("-")
            if a == "":
                start = max(0, size - int(b))
            else:
                start = int(a)
                if b:
                    end = min(int(b), size - 1)
            if start >= size or start > end:
                return self.send(416, "", {"Content-Range": "bytes */%d" % size})
            status = 206
            if "short-range" in hub.faults:
                end = min(end, start + 99999)
        n = end - start + 1
        trickle = "trickle" in hub.faults and n > 1000
        if self.command == "GET" and (trickle or hub.once("short-once", p)) and n > 1:
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Connection", "close")
            if status == 206:
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, size))
            self.end_headers()
            k = 1000 if trickle else n // 2
            with open(full, "rb") as f:
                f.seek(start)
                self.wfile.write(f.read(k))
            hub.count("cdn_bytes", None, k)
            self.close_connection = True
            return
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n))
        self.send_header("Accept-Ranges", "bytes")
        if "no-etag" not in hub.faults:
            self.send_header("ETag", '"%s"' % etag)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, size))
        self.end_headers()
        if self.command == "HEAD":
            return
        cut = hub.once("cut-once", p) and n > 1
        send_n = n // 2 if cut else n
        self.wfile.flush()
        with open(full, "rb") as f:
            sent = 0
            while sent < send_n:
                step = send_n - sent
                if hub.rate:
                    step = min(step, max(1, hub.rate // 20))
                    time.sleep(0.05)
                k = self.connection.sendfile(f, start + sent, step)
                if k <= 0:
                    break
                sent += k
        hub.count("cdn_bytes", None, send_n)
        if cut:
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", required=True)
    ap.add_argument("--repo", default="HuggingFaceFW/fineweb-edu")
    ap.add_argument("--revision", default="main")
    ap.add_argument("--page-size", type=int, default=3)
    ap.add_argument("--fault", action="append")
    ap.add_argument("--require-token")
    ap.add_argument("--rate", type=int, default=0)
    ap.add_argument("--plain", action="append", help="glob of repo paths kept in git, not LFS")
    ap.add_argument("--renamed-from", action="append", help="an old name of the repo: 307 to REPO")
    lifeline.add_argument(ap)
    args = ap.parse_args()
    lifeline.watch(args.parent_pid)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.hub = Hub(args)
    print(srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
