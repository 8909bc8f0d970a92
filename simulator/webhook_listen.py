"""`instaview-sim webhooks listen`: a small local receiver that verifies signatures and
prints each event (for local development; binds 127.0.0.1 by default)."""
from __future__ import annotations

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any

from client_under_test.signing import verify_signature


def make_server(host: str = "127.0.0.1", port: int = 0, secret: str | None = None,
                out: IO[str] | None = None) -> ThreadingHTTPServer:
    """A server that answers 200 to a well-signed delivery (or to any, without a secret) and
    401 to a badly signed one, printing one line per delivery to `out`."""
    stream = out if out is not None else sys.stdout

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            event = self.headers.get("X-InstaView-Event", "?")
            delivery = self.headers.get("X-InstaView-Delivery", "?")
            if secret is None:
                verdict, status = "unverified (no --secret)", 200
            elif verify_signature(secret, self.headers, raw, tolerance=None):
                # the timestamp is the simulator's virtual clock: report skew, never reject
                ts = self.headers.get("X-InstaView-Timestamp", "0")
                skew = int(time.time()) - int(ts) if ts.isdigit() else 0
                verdict = "signature OK" + (f" (clock skew {skew}s)" if abs(skew) > 300 else "")
                status = 200
            else:
                verdict, status = "BAD SIGNATURE", 401
            try:
                data = json.loads(raw).get("data", {})
            except (ValueError, AttributeError):
                data = {}
            brief = " ".join(f"{k}={data[k]}" for k in ("interviewId", "status", "webhookId")
                             if isinstance(data, dict) and data.get(k) is not None)
            print(f"{event} delivery={delivery} {brief} [{verdict}]", file=stream, flush=True)
            body = json.dumps({"ok": status == 200}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def listen(host: str = "127.0.0.1", port: int = 8081, secret: str | None = None) -> None:
    """Serve until Ctrl-C."""
    server = make_server(host, port, secret)
    h, p = server.server_address[:2]
    print(f"Listening for webhooks on http://{h}:{p}/ "
          f"({'verifying signatures' if secret else 'NOT verifying: pass --secret'}); "
          "Ctrl-C to stop", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
