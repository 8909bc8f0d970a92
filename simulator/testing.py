"""Serving the simulator for tests, benchmarks and the harness: `serve_in_thread(app)` (a WSGI
app on a free loopback port) and `serve_process(*args)` (a real `instaview-sim serve` child)."""
from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Iterator

import requests

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


class ServeProcess:
    """A running `instaview-sim serve` child process (see `serve_process`)."""

    def __init__(self, proc: subprocess.Popen, url: str, banner: list[str], stderr: Any):
        self.proc, self.url, self.banner, self._stderr = proc, url, banner, stderr

    def stderr_text(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM by PID (SIGKILL if it hangs); returns the exit code. Idempotent."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=timeout)
        return self.proc.returncode


@contextlib.contextmanager
def serve_process(*args: str, timeout: float = 30.0) -> Iterator[ServeProcess]:
    """Run `python -m simulator serve --host 127.0.0.1 --port 0 *args` and wait until it
    answers. Yields a `ServeProcess` whose `banner` holds the lines printed up to and
    including "serving on URL" (the `--config` keys among them); stops it by PID on exit."""
    stderr = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "serve", "--host", "127.0.0.1", "--port", "0",
         *args],
        stdout=subprocess.PIPE, stderr=stderr, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    served = ServeProcess(proc, "", [], stderr)
    try:
        while not (served.banner and "serving on" in served.banner[-1]):
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"serve exited before serving: {served.stderr_text()}")
            served.banner.append(line)
        served.url = re.search(r"(http://127\.0\.0\.1:\d+)", served.banner[-1]).group(1)
        deadline = time.monotonic() + timeout
        while True:  # any answer (even a 404) means the server is up
            try:
                requests.get(served.url + "/", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"serve never answered: {served.stderr_text()}")
                time.sleep(0.05)
        yield served
    finally:
        served.stop()
        proc.stdout.close()
        stderr.close()
