"""Faults on the wire: the `/_sim/faults` routes and the WSGI middleware that carries them out.

The middleware sits outside the Flask app, so the simulator lock (taken inside the app) is
never held while a fault sleeps, and a `phase: before` fault answers without the app running
at all (control-plane.md "Faults", decisions 36).

`drop` closes the connection with no answer:
- werkzeug's server (`serve_in_thread`): the socket in `environ["werkzeug.socket"]` is shut
  down, and the `ConnectionError` we raise is what werkzeug treats as a dropped connection
  (it writes nothing and logs nothing);
- waitress (`serve`): an exception raised before the headers are written would become a 500,
  except waitress's own `ClientDisconnected`, which makes it close the channel silently; the
  exception we raise is both;
- in-process transports (Flask's test client, a WSGI-calling `requests` adapter): the
  exception `DroppedConnection` propagates out of the WSGI call, and
  `environ[DROPPED_ENVIRON_KEY]` holds the fault id; such a transport turns it into
  `requests.exceptions.ConnectionError` (docs/faults.md).
"""
from __future__ import annotations

import http
import json
import socket
import time
import uuid
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

from flask import Blueprint, Flask

from simulator.core.clock import iso, wall_now
from simulator.core.enums import KeyKind
from simulator.core.faults import Fault, FaultAction, FaultStore, is_control_path
from simulator.web.app import envelope, get_sim, read_json_body

DROPPED_ENVIRON_KEY = "instaview_sim.fault.dropped"

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class DroppedConnection(ConnectionError):
    """An injected `drop`: the server closes the connection without an answer.

    An in-process transport that calls the WSGI app directly catches this and raises
    `requests.exceptions.ConnectionError` (or its own "no answer") instead.
    """

    def __init__(self, fault_id: str, phase: str):
        self.fault_id = fault_id
        self.phase = phase
        super().__init__(f"injected fault {fault_id} dropped the connection (phase {phase})")


try:  # waitress closes the connection quietly, without a 500, only for its own class
    from waitress.channel import ClientDisconnected as _WaitressDisconnected
except ImportError:  # pragma: no cover - waitress is a dependency of `serve`
    _DropRaised: type[DroppedConnection] = DroppedConnection
else:
    class _DropRaised(DroppedConnection, _WaitressDisconnected):  # type: ignore[no-redef]
        """The one exception werkzeug, waitress and in-process transports all read as a drop."""


# ------------------------------------------------------------------------- middleware

class FaultMiddleware:
    """Wraps a WSGI app; acts only on public API requests, never on `/_sim`."""

    def __init__(self, wsgi_app: WSGIApp, store: FaultStore,
                 resolve_company: Callable[[dict], str | None] | None = None,
                 now: Callable[[], str | None] | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.wsgi_app = wsgi_app
        self.store = store
        self.resolve_company = resolve_company
        self.now = now or (lambda: iso(wall_now()))
        self.sleep = sleep

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if is_control_path(path) or not len(self.store):
            return self.wsgi_app(environ, start_response)
        company = self._company(environ) if self.store.needs_company() else None
        before, after = self.store.match(environ.get("REQUEST_METHOD", "GET"), path, company)

        if before is not None:
            if before.action is FaultAction.DROP:
                self._drop(environ, before)
            if before.action is FaultAction.ERROR:
                return self._error(start_response, before)
            self.sleep(before.delay_ms / 1000)  # delay: then the request runs normally
        if after is None:
            return self.wsgi_app(environ, start_response)

        status, headers, body = self._run_app(environ)  # the request IS applied
        if after.action is FaultAction.DROP:
            self._drop(environ, after)
        if after.action is FaultAction.ERROR:
            return self._error(start_response, after)
        self.sleep(after.delay_ms / 1000)  # delay: the real answer, late
        start_response(status, headers)
        return [body]

    def _company(self, environ: dict) -> str | None:
        """The company the request acts on; never raises (unknown key: no company)."""
        if self.resolve_company is None:
            return None
        try:
            company = self.resolve_company(environ)
        except Exception:  # noqa: BLE001 - a bad key must not turn into a 500 here
            return None
        return company.lower() if isinstance(company, str) else None

    def _run_app(self, environ: dict) -> tuple[str, list[tuple[str, str]], bytes]:
        """Run the app to the end and keep its answer (so nothing of it holds the lock)."""
        answer: dict[str, Any] = {}
        chunks: list[bytes] = []

        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, list(headers)
            return chunks.append

        result = self.wsgi_app(environ, start_response)
        try:
            for chunk in result:
                chunks.append(chunk)
        finally:
            if hasattr(result, "close"):
                result.close()
        return answer["status"], answer["headers"], b"".join(chunks)

    def _error(self, start_response: Callable, fault: Fault) -> list[bytes]:
        body = json.dumps({
            "success": False,
            "data": None,
            "error": {
                "code": "INJECTED_FAULT",
                "message": f"Injected fault {fault.id} ({fault.phase.value}): the simulator "
                           f"answered {fault.status} on purpose; see GET /_sim/faults",
                "details": {"faultId": fault.id, "phase": fault.phase.value},
            },
            "timestamp": self.now(),
        }).encode()
        try:
            phrase = http.HTTPStatus(fault.status).phrase
        except ValueError:
            phrase = "Injected Fault"
        start_response(f"{fault.status} {phrase}", [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("X-Request-Id", str(uuid.uuid4())),
        ])
        return [body]

    def _drop(self, environ: dict, fault: Fault) -> None:
        environ[DROPPED_ENVIRON_KEY] = fault.id
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        raise _DropRaised(fault.id, fault.phase.value)


# ------------------------------------------------------------------------- routes

faults_bp = Blueprint("sim_faults", __name__, url_prefix="/_sim")


def _store() -> FaultStore:
    return get_sim().faults


def _body() -> Any:
    body = read_json_body(get_sim().config.max_body_bytes)
    return {} if body is None else body  # an empty body: "action is required"


@faults_bp.post("/faults", strict_slashes=False)
def create_fault():
    return envelope(_store().add(_body()).to_dict(), 201)


@faults_bp.get("/faults", strict_slashes=False)
def list_faults():
    return envelope([f.to_dict() for f in _store().list()])


@faults_bp.delete("/faults", strict_slashes=False)
def clear_faults():
    return envelope({"removed": _store().clear()})


@faults_bp.delete("/faults/<fault_id>", strict_slashes=False)
def delete_fault(fault_id: str):
    _store().remove(fault_id)
    return envelope(True)


# ------------------------------------------------------------------------- wiring

def company_resolver(sim: Any) -> Callable[[dict], str | None]:
    """The company a public request acts on, from its bearer key (api.md "Tenancy"): a COMPANY
    key's own company; for an ATS key, the `companyId` query parameter when it manages it."""

    def resolve(environ: dict) -> str | None:
        header = environ.get("HTTP_AUTHORIZATION")
        if not header:
            return None
        with sim.lock:
            principal = sim.authenticate(header)
        if principal.kind is KeyKind.COMPANY:
            return principal.company_id
        given = parse_qs(environ.get("QUERY_STRING", "")).get("companyId")
        if not given:
            return None
        company = given[0].lower()
        return company if company in principal.managed_company_ids else None

    return resolve


def install_faults(app: Flask, sim: Any, *, routes: bool = True) -> FaultStore:
    """Arm faults on `app`: the store at `sim.faults` (reset clears it), the `/_sim/faults`
    routes (unless the control plane is off), and the middleware around `app.wsgi_app`."""
    store = getattr(sim, "faults", None)
    if not isinstance(store, FaultStore):
        store = FaultStore()
        sim.faults = store
    if routes:
        app.register_blueprint(faults_bp)

    def now() -> str | None:
        with sim.lock:
            return iso(sim.clock.now())

    app.wsgi_app = FaultMiddleware(app.wsgi_app, store, company_resolver(sim), now=now)
    return store
