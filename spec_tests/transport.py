"""A requests transport adapter that routes requests into a WSGI app without sockets, so the
default in-process target is fast (harness.md "Targets": the fastest mode)."""

from __future__ import annotations

from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.response import HTTPResponse
from werkzeug.test import EnvironBuilder, run_wsgi_app


class WSGIAdapter(BaseAdapter):
    """Mount on a session (``session.mount("http://sim.local", WSGIAdapter(app))``)."""

    def __init__(self, app: Any) -> None:
        super().__init__()
        self.app = app

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        url = urlsplit(request.url)
        body = request.body
        if isinstance(body, str):
            body = body.encode("utf-8")
        builder = EnvironBuilder(
            path=url.path or "/", query_string=url.query, method=request.method,
            headers=list(request.headers.items()), data=body or b"",
            base_url=f"{url.scheme}://{url.netloc}")
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        try:
            app_iter, status, headers = run_wsgi_app(self.app, environ, buffered=True)
        except ConnectionError as exc:  # an injected `drop` (docs/faults.md): no answer at all
            raise requests.exceptions.ConnectionError(str(exc), request=request) from exc
        try:
            content = b"".join(app_iter)
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
        resp = requests.Response()
        resp.status_code = int(status.split(" ", 1)[0])
        resp.reason = status.split(" ", 1)[1] if " " in status else ""
        resp.headers = CaseInsensitiveDict(headers.items())
        resp.raw = HTTPResponse(body=BytesIO(content), headers=dict(headers.items()),
                                status=resp.status_code, preload_content=False)
        resp._content = content  # noqa: SLF001 - already read; no stream to keep
        resp.encoding = "utf-8"
        resp.url = request.url
        resp.request = request
        resp.connection = self
        return resp

    def close(self) -> None:
        pass


IN_PROCESS_URL = "http://instaview-sim.local"


def wsgi_session(app: Any) -> requests.Session:
    """A session whose requests to IN_PROCESS_URL go straight into ``app``."""
    session = requests.Session()
    session.trust_env = False  # no proxy lookups from the environment: nothing leaves the process
    session.mount(IN_PROCESS_URL, WSGIAdapter(app))
    return session
