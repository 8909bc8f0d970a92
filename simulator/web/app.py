"""The Flask shell: the app factory, the public routes, the envelope and the one error handler.

A public route parses the request, makes one call into the core and serialises the answer
(STYLE.md 1). The pipeline runs in api.md's "Order of checks" (decisions 1-8); the whole
request runs under `sim.lock` (ARCHITECTURE.md, "The web shell").
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any, Callable, NamedTuple

from flask import Flask, current_app, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import MethodNotAllowed as WzMethodNotAllowed
from werkzeug.exceptions import NotFound as WzNotFound
from werkzeug.exceptions import RequestEntityTooLarge as WzTooLarge

from simulator.core import inputs
from simulator.core.clock import iso
from simulator.core.engine import SimConfig, Simulator
from simulator.core.errors import (
    InternalError, MethodNotAllowed, NotImplementedYet, PayloadTooLarge, RouteNotFound,
    SimError, UnsupportedMediaType, ValidationError,
)

log = logging.getLogger("instaview_sim.web")

EXTENSION = "instaview_sim"
API_PREFIXES = ("", "/v1")  # api.md, Paths: every public route at /<path> and /v1/<path>

# api.md, Envelope + decisions 8: only creating POSTs answer 201; these answer 204.
CREATED = frozenset({"create_interview", "create_candidate", "create_job", "create_agent",
                     "create_company", "create_webhook", "invoke_call_attempt"})
NO_CONTENT = frozenset({"reschedule_call_attempt", "delete_call_attempt", "delete_webhook"})


class Route(NamedTuple):
    method: str
    rule: str
    op: str


# Path variables: `<id>` is the resource's id (error field "id"), `<attempt_id>` "attemptId".
ROUTES: tuple[Route, ...] = (
    Route("POST", "/interviews", "create_interview"),
    Route("GET", "/interviews", "list_interviews"),
    Route("GET", "/interviews/<id>", "get_interview"),
    Route("DELETE", "/interviews/<id>", "delete_interview"),
    Route("POST", "/interviews/<id>/call-attempts", "invoke_call_attempt"),
    Route("PATCH", "/interviews/<id>/call-attempts/<attempt_id>", "reschedule_call_attempt"),
    Route("DELETE", "/interviews/<id>/call-attempts/<attempt_id>", "delete_call_attempt"),
    *(r for res, plural in (("candidate", "candidates"), ("job", "jobs"), ("agent", "agents"))
      for r in (Route("POST", f"/{plural}", f"create_{res}"),
                Route("GET", f"/{plural}", f"list_{plural}"),
                Route("GET", f"/{plural}/<id>", f"get_{res}"),
                Route("PATCH", f"/{plural}/<id>", f"update_{res}"),
                Route("DELETE", f"/{plural}/<id>", f"delete_{res}"))),
    *(r for base in ("/company", "/companies")  # api.md: /companies is an alias
      for r in (Route("POST", base, "create_company"),
                Route("GET", base, "list_companies"),
                Route("GET", f"{base}/<id>", "get_company"),
                Route("PATCH", f"{base}/<id>", "update_company"))),
    Route("POST", "/webhooks", "create_webhook"),
    Route("GET", "/webhooks", "list_webhooks"),
    Route("GET", "/webhooks/<id>", "get_webhook"),
    Route("PATCH", "/webhooks/<id>", "update_webhook"),
    Route("DELETE", "/webhooks/<id>", "delete_webhook"),
    Route("POST", "/webhooks/<id>/test", "test_webhook"),
    Route("POST", "/webhooks/<id>/reset-circuit", "reset_webhook_circuit"),
    Route("GET", "/billing/usage", "get_billing_usage"),
)

# api.md, Paths: documented provider endpoints the simulator does not model answer 501.
NOT_SIMULATED: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("/sourcing", ("GET", "POST", "PUT", "PATCH", "DELETE"), "The sourcing and enrichment API"),
    ("/sourcing/<path:rest>", ("GET", "POST", "PUT", "PATCH", "DELETE"),
     "The sourcing and enrichment API"),
    ("/jobs/url", ("POST",), "POST /jobs/url (job extraction from a URL)"),
)

PATH_FIELDS = {"id": "id", "attempt_id": "attemptId"}


# ----------------------------------------------------------------------------- helpers

def get_sim() -> Simulator:
    return current_app.extensions[EXTENSION]


def envelope(data: Any, status: int = 200):
    """api.md, Envelope: success with the virtual clock's timestamp."""
    if status == 204:
        return current_app.response_class(status=204)
    return {"success": True, "data": data, "error": None,
            "timestamp": iso(get_sim().clock.now())}, status


def serialise(result: Any) -> Any:
    """Entities and pages have one `to_dict()` (STYLE.md 5); everything else is JSON-ready."""
    return result.to_dict() if hasattr(result, "to_dict") else result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def read_json_body(max_bytes: int) -> Any:
    """decisions 1, step 6c: body size (413), then Content-Type (415), then JSON syntax (400).

    An empty body is `None` (null body fields count as absent, decisions 6).
    """
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(max_bytes)
    raw = request.get_data(cache=True)
    if len(raw) > max_bytes:
        raise PayloadTooLarge(max_bytes)
    if not raw.strip():
        return None
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(request.content_type)
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise ValidationError([("body", "is not valid JSON")]) from None


# ----------------------------------------------------------------------------- public API

def public_operation(op_name: str) -> Callable[..., Any]:
    """The view of one public operation: the whole pipeline of api.md, one call per step."""

    def view(**path: str):
        sim = get_sim()
        principal = sim.authenticate(request.headers.get("Authorization"))       # 401
        g.key_id = principal.key_id
        g.rate = sim.count_request(principal)                                     # 429
        actor = sim.authorize(principal, op_name, request.args.get("companyId"))  # 403/400
        ids = [inputs.parse_uuid(PATH_FIELDS[name], raw) for name, raw in path.items()]
        query = inputs.parse_query(op_name, request.args)                         # 400
        body = read_json_body(sim.config.max_body_bytes)                          # 413/415/400
        result = getattr(sim, op_name)(actor, *ids, query=query, body=body)
        status = 201 if op_name in CREATED else 204 if op_name in NO_CONTENT else 200
        return envelope(serialise(result), status)

    view.__name__ = op_name
    return view


def not_simulated(what: str) -> Callable[..., Any]:
    def view(**_: str):
        raise NotImplementedYet(what)

    return view


def register_public_api(app: Flask) -> None:
    """Every public route at `/<path>` and `/v1/<path>`; the endpoint name is the operation's
    name (ARCHITECTURE.md, One vocabulary), so `url_for("delete_interview", id=...)` works."""
    views: dict[str, Callable[..., Any]] = {}
    for prefix in API_PREFIXES:
        for route in ROUTES:
            view = views.setdefault(route.op, public_operation(route.op))
            app.add_url_rule(prefix + route.rule, endpoint=route.op, view_func=view,
                             methods=[route.method], strict_slashes=False,
                             provide_automatic_options=False)
        for i, (rule, methods, what) in enumerate(NOT_SIMULATED):
            name = f"not_simulated_{i}"
            app.add_url_rule(prefix + rule, endpoint=name,
                             view_func=views.setdefault(name, not_simulated(what)),
                             methods=list(methods), strict_slashes=False,
                             provide_automatic_options=False)


# ----------------------------------------------------------------------------- errors

def _from_http(exc: HTTPException) -> SimError:
    """werkzeug's own exceptions (routing, size limits) in the simulator's vocabulary."""
    if isinstance(exc, WzNotFound):
        return RouteNotFound(request.method, request.path)
    if isinstance(exc, WzMethodNotAllowed):
        return MethodNotAllowed(request.method, request.path, exc.valid_methods or ())
    if isinstance(exc, WzTooLarge):
        return PayloadTooLarge(get_sim().config.max_body_bytes)
    if exc.code == 415:
        return UnsupportedMediaType(request.content_type)
    if exc.code is not None and 400 <= exc.code < 500:
        return ValidationError([("request", exc.description or "is malformed")])
    return InternalError(exc.description)


def error_response(exc: SimError):
    body = {"success": False, "data": None, "error": exc.to_dict(),
            "timestamp": iso(get_sim().clock.now())}
    return body, exc.status, exc.headers


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(SimError)
    def _sim_error(exc: SimError):
        return error_response(exc)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return error_response(_from_http(exc))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # api.md: any 500 is a bug; log it, answer the envelope
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(InternalError())


# ----------------------------------------------------------------------------- hooks

def register_hooks(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        g.key_id = None
        g.rate = None

    @app.after_request
    def _finish(response):
        response.headers["X-Request-Id"] = str(uuid.uuid4())  # api.md: on every response
        rate = g.get("rate")
        if rate is not None:  # decisions 37: only for keys with a limit
            for name, value in rate.headers().items():
                response.headers.setdefault(name, value)
        started = g.get("started")
        duration_ms = (time.perf_counter() - started) * 1000 if started else 0.0
        # control-plane.md, GET /_sim/requests: the key id, never the key
        get_sim().log_request(request.method, request.path, response.status_code,
                              g.get("key_id"), duration_ms)
        return response


class LockedWSGI:
    """Runs the Flask app (routing, hooks, error handlers, body) under `sim.lock`, so threaded
    requests behave as if run one at a time; middleware wrapped outside it (faults) is not."""

    def __init__(self, wsgi_app: Callable, lock: Any):
        self.wsgi_app = wsgi_app
        self.lock = lock

    def __call__(self, environ: dict, start_response: Callable):
        with self.lock:
            result = self.wsgi_app(environ, start_response)
            try:
                body = list(result)  # serialise the answer while still holding the lock
            finally:
                if hasattr(result, "close"):
                    result.close()
        return body


# ----------------------------------------------------------------------------- factory

def create_app(config: SimConfig | None = None, *, control_plane: bool = True,
               control_token: str | None = None, faults: bool = True,
               **overrides: Any) -> Flask:
    """A fresh simulator behind a fresh Flask app (STYLE.md 8).

    `config` is a `SimConfig`; keyword `overrides` replace its fields (`clock_mode`, `start`,
    `seed`, `auto_end_calls`, ...). `control_plane=False` removes `/_sim` (404);
    `control_token` makes every `/_sim` call need `Authorization: Bearer <token>`.
    """
    sim = Simulator(config, **overrides)
    app = Flask("simulator")
    app.json.sort_keys = False
    app.extensions[EXTENSION] = sim
    app.config["INSTAVIEW_CONTROL_TOKEN"] = control_token
    register_error_handlers(app)
    register_hooks(app)
    register_public_api(app)
    if control_plane:
        from simulator.web.control import control_bp
        app.register_blueprint(control_bp)
    app.wsgi_app = LockedWSGI(app.wsgi_app, sim.lock)  # type: ignore[method-assign]
    if faults:
        # The faults seam (control-plane.md, Faults): a WSGI middleware around the locked
        # app, acting only on public requests; its /_sim/faults routes need the control plane.
        from simulator.web.faults import install_faults
        install_faults(app, sim, routes=control_plane)
    return app
