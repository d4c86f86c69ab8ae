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
to its first K requests only. Markers apply in turn: "[[fault:A*1]]
[[fault:B]]" is A for the first request, B for every later one. NAME is one of
  429      429 with Retry-After: 1          429ms  429 with retry-after-ms: 700
  500 503  that status                      400 401 410 413 422  that status, an error body
  timeout  answer after --slow seconds      reset  headers, part of the body, then RST
  truncated  200 with the JSON cut in half  missing  a reply without a score line
  score7   "Educational score: 7"           length   reply cut, finish_reason "length"
  redirect 307 to another origin, its Location with a user:password@ and a signed query
  err200   200 with an error object and no choices (a gateway's overload), Retry-After: 1
  gzip     the reply gzip-compressed (Content-Encoding: gzip), asked for or not
  late     the reply after 0.6 s            garbage  bytes that are no HTTP response
  think    a <think> block (with a wrong first guess) before the answer in content
  thinkcut content cut inside a <think> block, finish_reason "length"
  parts    content as a list of parts (a thinking part, two text parts)
  refusal  content null and an OpenAI "refusal"   toolcalls  content null, tool_calls
  weird    content a number                 badutf8  bytes that are no UTF-8 in content
  html     a 200 text/html login page       scorefirst "Educational score: N" before the justification
  nbsp     "**Educational score:**" then "**<U+00A0>N**" on a line of its own
  param400 400 "Unsupported parameter: 'max_tokens'" (as OpenAI's reasoning models answer)
  400utf8  400 whose error message holds bytes that are no UTF-8
  filtered 400 from Azure OpenAI's content filter (code content_filter, "content management policy")
  thinklit a reply mentioning the HTML <think> tag   thinkclose a reply mentioning </think>
  thinkjust (--json-schema) a justification holding "<think>...</think>"
  finfilter a 200 whose reply the content filter stopped (content "", finish_reason "content_filter")
--fault-all NAME applies one fault to every request; --require-key KEY answers
401 (echoing the presented key, as careless servers do; a key starting "sk-"
masked as OpenAI shows one: its first 6 and last 4 characters around '*'s)
unless the request has "Authorization: Bearer KEY".

GET /stats -> {"requests": N, "by_text": {sha256(prompt): count}, "statuses": {...},
              "connections": TCP connections accepted}
GET /health -> {"ok": true}
GET /v1/models -> {"object": "list", "data": [{"id": "stand-in", ...}]}
--log FILE appends {"seq", "text_sha256", "nth", "t"} per chat request
POST /control {"fault_all": NAME or null, "latency": SECONDS} changes those settings
"""
import argparse
import asyncio
import gzip
import hashlib
import json
import os
import re
import signal
import socket
import struct
import subprocess
import time

import lifeline

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


class Peer:
    """State shared by all connections (one asyncio thread: no locks needed)."""

    def __init__(self, args):
        self.args = args
        self.requests = 0
        self.by_text = {}
        self.statuses = {}
        self.queries = {}
        self.seq = 0
        self.connections = 0
        self.docs = load_data(args.data)
        self.log = open(args.log, "a", encoding="utf-8") if args.log else None
        self.index = {}
        for text, score, reasoning in self.docs:
            self.index.setdefault(text[:16], []).append((text, score, reasoning))

    def count_status(self, status):
        self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1

    def judge(self, prompt):
        """(score, justification): the real reasoning when the text is known."""
        for start in range(0, len(prompt) - 16 if self.index else 0):
            cands = self.index.get(prompt[start:start + 16])
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

    async def handle(self, method, path, headers, raw):
        """Returns (status, extra headers, body bytes, action); action is
        None, "reset" (send part of the body, then RST) or "close"."""
        args = self.args
        full = path
        path, _, query = path.partition("?")   # routed on the path; the query is counted
        if query:
            self.queries[query] = self.queries.get(query, 0) + 1
        if method == "GET":
            if path.endswith("/stats"):
                return 200, {}, json.dumps({"requests": self.requests, "by_text": self.by_text,
                                            "statuses": self.statuses, "queries": self.queries,
                                            "connections": self.connections}).encode(), None
            if path.endswith("/health"):
                return 200, {}, b'{"ok": true}', None
            if path.endswith("/models"):
                # what OpenAI-compatible servers answer; `blalm run` checks the endpoint with it
                return 200, {}, json.dumps({"object": "list", "data": [
                    {"id": "stand-in", "object": "model", "owned_by": "tests/peers/openai.py (a STAND-IN, not a model)"}
                ]}).encode(), None
            return 404, {}, json.dumps({"error": {"message": "not found: " + full}}).encode(), None
        if path.endswith("/control"):
            # tests switch faults on and off mid-run: {"fault_all": "503" | null, "latency": s}
            ctl = json.loads(raw or b"{}")
            if "fault_all" in ctl:
                args.fault_all = ctl["fault_all"]
            if "latency" in ctl:
                args.latency = float(ctl["latency"])
            return 200, {}, b'{"ok": true}', None
        if path not in (args.path_prefix + "/v1/chat/completions", args.path_prefix + "/chat/completions"):
            return 404, {}, json.dumps({"error": {"message": "not found: " + full}}).encode(), None

        def err(status, msg, extra=None):
            return status, extra or {}, json.dumps({"error": {"message": msg, "type": "invalid_request_error"}}).encode(), None

        try:
            req = json.loads(raw)
            prompt = req["messages"][-1]["content"]
        except Exception as ex:  # noqa: BLE001 - any malformed request is a 400
            return err(400, "bad request: %s" % ex)
        tsha = hashlib.sha256(prompt.encode()).hexdigest()
        self.requests += 1
        self.seq += 1
        seq = self.seq
        nth = self.by_text.get(tsha, 0) + 1
        self.by_text[tsha] = nth
        if self.log:
            # one line per chat request, written before it is answered
            self.log.write(json.dumps({"seq": seq, "text_sha256": tsha, "nth": nth, "t": time.time()}) + "\n")
            self.log.flush()
        if args.require_key is not None:
            auth = headers.get("authorization", "")
            if auth != "Bearer " + args.require_key:
                given = auth[7:] if auth.startswith("Bearer ") else auth
                if given.startswith("sk-") and len(given) > 10:
                    given = given[:6] + "*" * (len(given) - 10) + given[-4:]
                return err(401, "Incorrect API key provided: %s." % given)
        fault = None
        upto = 0
        for m in FAULT_RE.finditer(prompt):   # in turn: A*1 then B
            if m.group(2) is None or nth <= upto + int(m.group(2)):
                fault = m.group(1)
                break
            upto += int(m.group(2))
        if fault is None and args.fault_all:
            fault = args.fault_all
        if args.latency > 0:
            await asyncio.sleep(args.latency)
        if fault in ("500", "502", "503"):
            return err(int(fault), "stand-in fault %s" % fault)
        if fault == "429":
            return err(429, "rate limited (stand-in)", {"Retry-After": "1"})
        if fault == "429ms":
            return err(429, "rate limited (stand-in)", {"retry-after-ms": "700"})
        if fault == "redirect":
            # a moved endpoint; the Location carries credentials a client must not print
            return err(307, "moved", {"Location": "http://mover:l0c-s3cr3t@elsewhere.example:8443/v2/chat/completions?sig=l0c-s3cr3t"})
        if fault == "400utf8":
            # an error body with bytes that are no UTF-8 (a proxy quoting the request)
            return 400, {}, b'{"error": {"message": "bad input \xff\xfe near byte 7 (stand-in)"}}', None
        if fault == "param400":
            return err(400, "Unsupported parameter: 'max_tokens' is not supported with this model. "
                            "Use 'max_completion_tokens' instead. (stand-in)")
        if args.reasoning_api:
            # OpenAI's o-series and gpt-5: max_completion_tokens, and no temperature but 1
            if "max_tokens" in req:
                return err(400, "Unsupported parameter: 'max_tokens' is not supported with this model. "
                                "Use 'max_completion_tokens' instead. (stand-in)")
            if "temperature" in req and req["temperature"] != 1:
                return err(400, "Unsupported value: 'temperature' does not support %s with this model. "
                                "Only the default (1) value is supported. (stand-in)" % req["temperature"])
        if fault == "filtered":
            return 400, {}, json.dumps({"error": {
                "message": "The response was filtered due to the prompt triggering Azure OpenAI's content "
                           "management policy. Please modify your prompt and retry.",
                "type": None, "param": "prompt", "code": "content_filter", "status": 400}}).encode(), None
        if fault == "400":
            return err(400, "This model's maximum context length is exceeded (stand-in)")
        if fault == "401":
            return err(401, "Invalid API key (stand-in)")
        if fault == "413":
            return err(413, "Request Entity Too Large (stand-in proxy)")
        if fault == "410":
            # a retired route or model: every request gets it
            return err(410, "This model has been retired (stand-in)")
        if fault == "422":
            # what text-generation-inference answers for one over-long input
            return err(422, "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096 (stand-in)")
        if fault == "err200":
            # OpenRouter-style: an upstream error inside a 200
            return 200, {"Retry-After": "1"}, json.dumps({"error": {"message": "upstream overloaded (stand-in)",
                                                                    "code": 503}}).encode(), None
        if fault == "garbage":
            return 200, {}, b"", "garbage"
        if fault == "late":
            await asyncio.sleep(0.6)
        if fault == "timeout":
            await asyncio.sleep(args.slow)
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
            content = json.dumps({"justification": just + (" It shows <think>x</think> markup."
                                                           if fault == "thinkjust" else ""),
                                  "score": 7 if fault == "score7" else score})
        max_tokens = req.get("max_tokens", req.get("max_completion_tokens"))
        if isinstance(max_tokens, int) and max_tokens * 4 < len(content) and finish == "stop":
            content = content[: max_tokens * 4]
            finish = "length"
        reasoning = None
        if args.shape == "reasoning" and not wants_json:
            reasoning, content = just, content[len(just):].lstrip("\n")
        # a reasoning model without a reasoning parser: its musing in content
        if fault == "think":
            content = "<think>First guess: Educational score: %d. But wait, let me look again.</think>\n\n%s" % (
                5 - score, content)
        elif fault == "thinkcut":
            content = "<think>First guess: Educational score: %d. But wait" % (5 - score)
            finish = "length"
        elif fault == "thinklit":
            content = "The text explains the HTML <think> tag and how pages use it.\nEducational score: %d" % score
        elif fault == "thinkclose":
            content = "%s It quotes a stray </think> tag verbatim.\nEducational score: %d" % (just, score)
        elif fault == "scorefirst":
            content = "Educational score: %d\n\nJustification: %s" % (score, just)
        elif fault == "nbsp":
            content = "%s\n\n**Educational score:**\n\n**\u00a0%d**" % (just, score)
        elif fault == "finfilter":
            content, finish = "", "content_filter"
        ptok = max(1, len(prompt.encode()) // 4)
        ctok = max(1, len((content + (reasoning or "")).encode()) // 4)
        model = "stand-in: blalm loopback test peer, not a model (asked for %s)" % req.get("model")
        msg = {"role": "assistant", "content": content}
        if fault == "parts":
            # Mistral's reasoning models, some gateways: content as a list of parts
            msg["content"] = [{"type": "thinking", "thinking": [{"type": "text", "text": "Mulling it over."}]},
                              {"type": "text", "text": content[:10]}, {"type": "text", "text": content[10:]}]
        elif fault == "refusal":
            msg["content"] = None
            msg["refusal"] = "I'm sorry, I cannot help with that (stand-in)."
        elif fault == "toolcalls":
            msg["content"] = None
            msg["tool_calls"] = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
        elif fault == "weird":
            msg["content"] = 42
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
            msg.setdefault("refusal", None)
            choice["logprobs"] = None
            obj["system_fingerprint"] = "stand-in"
            obj["usage"] = {"prompt_tokens": ptok, "completion_tokens": ctok, "total_tokens": ptok + ctok}
        body = json.dumps(obj).encode()
        if fault == "badutf8":
            # raw bytes that are no UTF-8 inside the JSON string
            body = body.replace(b"Educational score", b"\xff\xfe Educational score", 1)
        if fault == "html":
            return 200, {"Content-Type": "text/html"}, b"<!DOCTYPE html><html><body>Please log in (stand-in portal)</body></html>", None
        if fault == "truncated":
            return 200, {}, body[: len(body) // 2], None
        if fault == "reset":
            return 200, {}, body, "reset"
        if fault == "gzip":
            return 200, {"Content-Encoding": "gzip"}, gzip.compress(body), None
        return 200, {}, body, None

    async def connection(self, reader, writer):
        self.connections += 1
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _version = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                if headers.get("expect", "").lower() == "100-continue":
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                n = int(headers.get("content-length") or 0)
                raw = await reader.readexactly(n) if n else b""
                status, extra, body, action = await self.handle(method, path, headers, raw)
                if action == "garbage":
                    writer.write(b"THIS IS NO HTTP RESPONSE (stand-in)\r\n\r\n")
                    await writer.drain()
                    self.count_status("garbage")
                    return
                reason = {200: "OK", 307: "Temporary Redirect", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
                          410: "Gone", 413: "Content Too Large", 422: "Unprocessable Content",
                          429: "Too Many Requests", 500: "Internal Server Error",
                          502: "Bad Gateway", 503: "Service Unavailable"}.get(status, "Status")
                out = ["HTTP/1.1 %d %s" % (status, reason), "Server: blalm-stand-in-peer/1",
                       "Content-Length: %d" % len(body)]
                if "Content-Type" not in extra:
                    out.append("Content-Type: application/json")
                out += ["%s: %s" % kv for kv in extra.items()]
                data = ("\r\n".join(out) + "\r\n\r\n").encode()
                if action == "reset":
                    writer.write(data + body[: len(body) // 3])
                    await writer.drain()
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.count_status("reset")
                    writer.transport.abort()
                    return
                writer.write(data + body)
                self.count_status(status)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()


def main():
    ap = argparse.ArgumentParser(description="loopback OpenAI-compatible stand-in endpoint")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds before every answer")
    ap.add_argument("--slow", type=float, default=3.0, help="seconds a 'timeout' fault waits")
    ap.add_argument("--shape", choices=["openai", "vllm", "llamacpp", "reasoning"], default="openai")
    ap.add_argument("--data", help="fineweb-legal.jsonl(.zst): real reasoning texts and scores")
    ap.add_argument("--fault-all", help="one fault for every request")
    ap.add_argument("--log", help="append one JSON line per chat request: seq, text_sha256 "
                    "(sha256 of the prompt), nth (requests for that prompt so far), t")
    ap.add_argument("--reasoning-api", action="store_true",
                    help="answer 400 to max_tokens and to a temperature other than 1, as OpenAI's "
                    "reasoning models do")
    ap.add_argument("--require-key", help="answer 401 unless this bearer key is sent")
    ap.add_argument("--path-prefix", default="", help="serve chat completions under this prefix "
                    "(a gateway taking the key in the path: /KEY/v1/chat/completions)")
    ap.add_argument("--workers", type=int, default=1,
                    help="processes sharing the port (benchmarks); /stats is then per process")
    lifeline.add_argument(ap)
    args = ap.parse_args()
    peer = Peer(args)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    print(sock.getsockname()[1], flush=True)
    children = []
    for _ in range(max(1, args.workers) - 1):
        pid = os.fork()
        if pid == 0:
            children = None
            break
        children.append(pid)
    if children:
        def stop(*_):
            for c in children:
                try:
                    os.kill(c, signal.SIGTERM)
                except OSError:
                    pass
            os._exit(0)
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

    lifeline.watch(args.parent_pid)   # in every worker: threads do not survive fork

    async def serve():
        srv = await asyncio.start_server(peer.connection, sock=sock, limit=1 << 24)
        async with srv:
            await srv.serve_forever()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
