"""A local stand-in for a CRM's batch API and a Slack incoming webhook, for the publishing tests.

POST /upsert and /archive take ``{"inputs": [...]}`` with a bearer token and apply each
Idempotency-Key once (a resent batch is answered but not applied again), like real batch APIs;
``fail_next`` queues error statuses to answer first; ``reject`` makes rows come back as errors.
POST /webhook records Slack messages.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "test-token"


class CrmState:
    def __init__(self):
        self.lock = threading.Lock()
        self.records: dict[str, dict] = {}
        self.applied: Counter[str] = Counter()  # lead_id -> times an upsert or delete applied
        self.keys: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []  # (path, idempotency key)
        self.fail_next: list[int] = []
        self.reject: set[str] = set()
        self.messages: list[dict] = []


class _Handler(BaseHTTPRequestHandler):
    state: CrmState

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
        state = self.state
        with state.lock:
            key = self.headers.get("Idempotency-Key", "")
            state.requests.append((self.path, key))
            if self.path == "/webhook":
                state.messages.append(body)
                return self._reply(200, {"ok": True})
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._reply(401, {"message": "bad token"})
            if state.fail_next:
                status = state.fail_next.pop(0)
                headers = {"Retry-After": "0"} if status == 429 else {}
                return self._reply(status, {"message": "try again"}, headers)
            if key in state.keys:
                return self._reply(200, state.keys[key])
            errors = []
            for item in body["inputs"]:
                lead_id = item["id"]
                if lead_id in state.reject:
                    errors.append({"id": lead_id, "message": "invalid email"})
                    continue
                state.applied[lead_id] += 1
                if self.path == "/upsert":
                    state.records[lead_id] = item["properties"]
                else:
                    state.records.pop(lead_id, None)
            reply = {"status": "COMPLETE", "errors": errors}
            state.keys[key] = reply
            return self._reply(200, reply)

    def _reply(self, status: int, body: dict, headers: dict | None = None):
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class CrmServer:
    def __init__(self):
        self.state = CrmState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def reset(self) -> None:
        self.state.__init__()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
