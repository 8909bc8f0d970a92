"""The control plane `/_sim` (control-plane.md): one line per route into the core.

Faults (`/_sim/faults`) live in `simulator.web.faults` and are wired by `create_app`.
`/v1/_sim` is not the control plane (decisions 2).
"""
from __future__ import annotations

import hmac
from typing import Any, Callable

from flask import Blueprint, current_app, request

from simulator.core.errors import InvalidApiKey
from simulator.web.app import envelope, get_sim, read_json_body, serialise

CONTROL_PREFIX = "/_sim"
control_bp = Blueprint("sim", __name__, url_prefix=CONTROL_PREFIX)


def is_control_request(path: str) -> bool:
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


def check_control_token() -> None:
    """control-plane.md: with a control token every /_sim call needs it (decisions 38: 401
    INVALID_API_KEY otherwise). Runs for every /_sim route, faults' included."""
    if not is_control_request(request.path):
        return
    token = current_app.config.get("INSTAVIEW_CONTROL_TOKEN")
    if not token:
        return
    scheme, _, given = (request.headers.get("Authorization") or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), token.encode()):
        raise InvalidApiKey("The control plane needs 'Authorization: Bearer <control token>'")


@control_bp.record_once
def _install_token_check(state: Any) -> None:
    state.app.before_request(check_control_token)


def _body() -> Any:
    return read_json_body(get_sim().config.max_body_bytes)


def route(method: str, rule: str, status: int = 200) -> Callable:
    """Register a /_sim route; the view returns JSON-ready data or an entity."""

    def register(fn: Callable) -> Callable:
        def view(**path: str):
            return envelope(serialise(fn(get_sim(), **path)), status)

        view.__name__ = fn.__name__
        control_bp.add_url_rule(rule, endpoint=fn.__name__, view_func=view, methods=[method],
                                strict_slashes=False, provide_automatic_options=False)
        return fn

    return register


# -------------------------------------------------------------- tenants and keys

@route("POST", "/reset")
def reset(sim):
    return sim.reset(_body())


@route("POST", "/companies", 201)
def sim_create_company(sim):
    return sim.sim_create_company(_body())


@route("PATCH", "/companies/<company_id>")
def sim_update_company(sim, company_id):
    return sim.sim_update_company(company_id, _body())


@route("POST", "/api-keys", 201)
def sim_create_api_key(sim):
    return sim.sim_create_api_key(_body())


@route("POST", "/api-keys/<key_id>/suspend")
def sim_suspend_api_key(sim, key_id):
    return sim.sim_suspend_api_key(key_id, _body())


@route("POST", "/api-keys/<key_id>/revoke")
def sim_revoke_api_key(sim, key_id):
    _body()  # a malformed body is still a 400/413/415 (decisions 1)
    return sim.sim_revoke_api_key(key_id)


# -------------------------------------------------------------- clock

@route("GET", "/clock")
def get_clock(sim):
    return sim.get_clock()


@route("POST", "/clock/advance")
def advance_clock(sim):
    return sim.advance_clock(_body())


# -------------------------------------------------------------- the candidate's side

@route("POST", "/interviews/<interview_id>/join")
def join(sim, interview_id):
    return sim.join(interview_id, _body())


@route("POST", "/interviews/<interview_id>/end-call")
def end_call(sim, interview_id):
    return sim.end_call(interview_id, _body())


@route("POST", "/interviews/<interview_id>/cancel")
def cancel(sim, interview_id):
    return sim.cancel(interview_id, _body())


# -------------------------------------------------------------- looking inside

@route("GET", "/interviews/<interview_id>")
def internal_interview(sim, interview_id):
    return sim.internal_interview(interview_id)


@route("GET", "/events")
def events(sim):
    return sim.events(request.args)


@route("GET", "/state")
def state(sim):
    return sim.state()


@route("GET", "/invariants")
def invariants(sim):
    return sim.invariants()


@route("GET", "/requests")
def requests_log(sim):
    return sim.requests(request.args)


@route("GET", "/model")
def model(sim):
    return sim.model()


# -------------------------------------------------------------- webhooks outbox (issue #5)

@route("GET", "/webhooks/deliveries")
def webhook_deliveries(sim):
    return sim.webhook_deliveries(request.args)
