"""`serve_in_thread(app)`: serve a WSGI app on a free loopback port, for tests and the harness."""
from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietRequestHandler(WSGIRequestHandler):
    """No access-log line per request (tests and the harness make thousands); errors still
    log. `GET /_sim/requests` is the request log."""

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        pass


class ServedURL(str):
    """The base URL (`http://127.0.0.1:PORT`), which also stops its server.

    Use it as a context manager (`with serve_in_thread(app) as url:`), or keep it and call
    `url.stop()`; stopping twice is harmless.
    """

    server: Any
    thread: threading.Thread

    def stop(self) -> None:
        server = getattr(self, "server", None)
        if server is None:
            return
        self.server = None
        server.shutdown()
        server.server_close()
        self.thread.join(timeout=5)

    shutdown = stop

    def __enter__(self) -> "ServedURL":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def serve_in_thread(app: Any, host: str = "127.0.0.1", port: int = 0) -> ServedURL:
    """Start werkzeug's threaded server for `app` on `host:port` (0 = a free port)."""
    server = make_server(host, port, app, threaded=True,
                         request_handler=_QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="instaview-sim-server",
                              daemon=True)
    thread.start()
    url = ServedURL(f"http://{host}:{server.server_port}")
    url.server, url.thread = server, thread
    return url
