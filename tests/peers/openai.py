#!/usr/bin/env python3
"""A loopback OpenAI-compatible chat/completions endpoint for blalm's tests.

It is a STAND-IN, not a model: every response's "model" field says so. It
binds 127.0.0.1 on a free port and prints the port on its first stdout line.

Replies end with "Educational score: N". When --data names the
fineweb-legal documents (jsonl, or .zst read through the zstd program), a
prompt holding one of those texts gets that document's real LLM reasoning and
score; any other prompt gets a score derived from its sha256.

Shapes (--shape): openai (usage), vllm (usage, reasoning_content null,
stop_reason), llamacpp (timings, no usage), reasoning (vLLM with the
justification in reasoning_content and only the score line in content).
A request with response_format gets {"justification", "score"} as content.

Faults are chosen by markers inside the document text, so one run can test
many: [[fault:NAME]] applies to every request for that text, [[fault:NAME*K]]
to its first K requests only. NAME is one of
  429      429 with Retry-After: 1          429ms  429 with retry-after-ms: 700
  500 503  that status                      400    400 with an error body
  timeout  answer after --slow seconds      reset  headers, part of the body, then RST
  truncated  200 with the JSON cut in half  missing  a reply without a score line
  score7   "Educational score: 7"           length   reply cut, finish_reason "length"
--fault-all NAME applies one fault to every request; --require-key KEY answers
401 (echoing the presented key, as careless servers do) unless the request has
"Authorization: Bearer KEY".

GET /stats -> {"requests": N, "by_text": {sha256(prompt): count}, "statuses": {...}}
GET /health -> {"ok": true}
POST /control {"fault_all": NAME or null, "latency": SECONDS} changes those settings
"""
import argparse
import hashlib
import http.server
import json
import os
import re
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time

FAULT_RE = re.compile(r"\[\[fault:([a-z0-9]+)(?:\*(\d+))?\]\]")


def load_data(path):
    if not path:
        return []
    if path.endswith(".zst"):
        raw = subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
    else:
        with open(path, "rb") as f:
            raw = f.read()
    docs = []
    for line in raw.decode("utf-8").splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        meta = d.get("metadata") or {}
        text = d.get("text") or ""
        if len(text) < 40 or meta.get("score") is None:
            continue
        docs.append((text[:4000], int(meta["score"]), meta.get("reasoning") or ""))
    return docs


class Peer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, args):
        super().__init__(("127.0.0.1", 0), Handler)
        self.args = args
        self.lock = threading.Lock()
        self.requests = 0
        self.by_text = {}
        self.statuses = {}
        self.seq = 0
        self.docs = load_data(args.data)
        self.index = {}
        for prefix, score, reasoning in self.docs:
            self.index.setdefault(prefix[:16], []).append((prefix, score, reasoning))

    def handle_error(self, request, client_address):
        pass  # resets and client timeouts are expected here


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "blalm-stand-in-peer/1"

    def log_message(self, fmt, *a):
        pass

    def send_json(self, status, obj, extra=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.count_status(status)

    def count_status(self, status):
        with self.server.lock:
            self.server.statuses[str(status)] = self.server.statuses.get(str(status), 0) + 1

    def do_GET(self):
        if self.path == "/stats" or self.path.endswith("/stats"):
            with self.server.lock:
                obj = {"requests": self.server.requests, "by_text": dict(self.server.by_text),
                       "statuses": dict(self.server.statuses)}
            body = json.dumps(obj).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path.endswith("/health"):
            self.send_json(200, {"ok": True})
        else:
            self.send_json(404, {"error": {"message": "not found: " + self.path}})

    def judge(self, prompt):
        """(score, justification): the real reasoning when the text is known."""
        srv = self.server
        for start in range(0, len(prompt) - 16 if srv.index else 0):
            cands = srv.index.get(prompt[start:start + 16])
            if cands:
                # documents may share boilerplate openings: the longest match wins
                best, best_len = None, 0
                for text, score, reasoning in cands:
                    common = len(os.path.commonprefix([text, prompt[start:start + len(text)]]))
                    if common > best_len:
                        best, best_len = (score, reasoning), common
                if best_len >= 16:
                    return best
        h = int(hashlib.sha256(prompt.encode()).hexdigest()[:8], 16)
        return h % 6, "Stand-in judgement (no model was run): points awarded by a hash of the prompt."

    def do_POST(self):
        args = self.server.args
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        if self.path.endswith("/control"):
            # tests switch faults on and off mid-run: {"fault_all": "503" | null, "latency": s}
            ctl = json.loads(raw or b"{}")
            if "fault_all" in ctl:
                args.fault_all = ctl["fault_all"]
            if "latency" in ctl:
                args.latency = float(ctl["latency"])
            self.send_json(200, {"ok": True})
            return
        try:
            req = json.loads(raw)
            prompt = req["messages"][-1]["content"]
        except Exception as ex:  # noqa: BLE001 - any malformed request is a 400
            self.send_json(400, {"error": {"message": "bad request: %s" % ex, "type": "invalid_request_error"}})
            return
        tsha = hashlib.sha256(prompt.encode()).hexdigest()
        with self.server.lock:
            self.server.requests += 1
            self.server.seq += 1
            seq = self.server.seq
            nth = self.server.by_text.get(tsha, 0) + 1
            self.server.by_text[tsha] = nth
        if args.require_key is not None:
            auth = self.headers.get("Authorization") or ""
            if auth != "Bearer " + args.require_key:
                given = auth[7:] if auth.startswith("Bearer ") else auth
                self.send_json(401, {"error": {"message": "Incorrect API key provided: %s." % given,
                                               "type": "invalid_request_error", "code": "invalid_api_key"}})
                return
        fault = None
        m = FAULT_RE.search(prompt)
        if m and (m.group(2) is None or nth <= int(m.group(2))):
            fault = m.group(1)
        elif args.fault_all:
            fault = args.fault_all
        if args.latency > 0:
            time.sleep(args.latency)
        if fault in ("500", "503", "502"):
            self.send_json(int(fault), {"error": {"message": "stand-in fault %s" % fault}})
            return
        if fault == "429":
            self.send_json(429, {"error": {"message": "rate limited (stand-in)"}}, {"Retry-After": "1"})
            return
        if fault == "429ms":
            self.send_json(429, {"error": {"message": "rate limited (stand-in)"}}, {"retry-after-ms": "700"})
            return
        if fault == "400":
            self.send_json(400, {"error": {"message": "This model's maximum context length is exceeded (stand-in)",
                                           "type": "invalid_request_error"}})
            return
        if fault == "timeout":
            time.sleep(args.slow)
        score, just = self.judge(prompt)
        content = "%s\n\nEducational score: %d" % (just, score)
        finish = "stop"
        if fault == "missing":
            content = just + "\n\nI cannot decide on a number for this extract."
        elif fault == "score7":
            content = just + "\n\nEducational score: 7"
        elif fault == "length":
            content = content[: max(1, len(content) // 3)]
            finish = "length"
        wants_json = bool(req.get("response_format"))
        if wants_json and fault not in ("missing", "length"):
            content = json.dumps({"justification": just, "score": 7 if fault == "score7" else score})
        max_tokens = req.get("max_tokens")
        if isinstance(max_tokens, int) and max_tokens * 4 < len(content) and finish == "stop":
            content = content[: max_tokens * 4]
            finish = "length"
        reasoning = None
        if args.shape == "reasoning" and not wants_json:
            reasoning, content = just, content[len(just):].lstrip("\n")
        ptok = max(1, len(prompt.encode()) // 4)
        ctok = max(1, len((content + (reasoning or "")).encode()) // 4)
        model = "stand-in: blalm loopback test peer, not a model (asked for %s)" % req.get("model")
        msg = {"role": "assistant", "content": content}
        choice = {"index": 0, "message": msg, "finish_reason": finish}
        obj = {"id": "chatcmpl-standin-%d" % seq, "object": "chat.completion",
               "created": int(time.time()), "model": model, "choices": [choice]}
        if args.shape in ("vllm", "reasoning"):
            msg["reasoning_content"] = reasoning
            msg["tool_calls"] = []
            choice["logprobs"] = None
            choice["stop_reason"] = None
            obj["usage"] = {"prompt_tokens": ptok, "total_tokens": ptok + ctok,
                            "completion_tokens": ctok, "prompt_tokens_details": None}
            obj["prompt_logprobs"] = None
        elif args.shape == "llamacpp":
            obj["timings"] = {"prompt_n": ptok, "prompt_ms": 1.0, "predicted_n": ctok,
                              "predicted_ms": 1.0, "predicted_per_second": 1000.0}
        else:
            msg["refusal"] = None
            choice["logprobs"] = None
            obj["system_fingerprint"] = "stand-in"
            obj["usage"] = {"prompt_tokens": ptok, "completion_tokens": ctok, "total_tokens": ptok + ctok}
        body = json.dumps(obj).encode()
        if fault == "truncated":
            body = body[: len(body) // 2]
        if fault == "reset":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 3])
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            self.count_status("reset")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.count_status(200)


def main():
    ap = argparse.ArgumentParser(description="loopback OpenAI-compatible stand-in endpoint")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds before every answer")
    ap.add_argument("--slow", type=float, default=3.0, help="seconds a 'timeout' fault waits")
    ap.add_argument("--shape", choices=["openai", "vllm", "llamacpp", "reasoning"], default="openai")
    ap.add_argument("--data", help="fineweb-legal.jsonl(.zst): real reasoning texts and scores")
    ap.add_argument("--fault-all", help="one fault for every request")
    ap.add_argument("--require-key", help="answer 401 unless this bearer key is sent")
    args = ap.parse_args()
    srv = Peer(args)
    print(srv.server_address[1], flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
