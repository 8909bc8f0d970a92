"""Fixtures for the fault tests: a tiny fake simulator app (middleware unit tests) and servers."""
from __future__ import annotations

import datetime as dt
import socket
import threading
import uuid
from types import SimpleNamespace
from typing import Any

import attrs
import pytest
from flask import Flask, jsonify, request

from simulator.core.clock import Clock, iso
from simulator.core.enums import KeyKind
from simulator.core.errors import InvalidApiKey, ResourceNotFound
from simulator.testing import serve_in_thread
from simulator.web.app import register_error_handlers
from simulator.web.faults import install_faults

START = dt.datetime(2026, 1, 1, 10, 0, tzinfo=dt.timezone.utc)


@attrs.frozen
class FakePrincipal:
    kind: KeyKind
    company_id: str | None
    managed_company_ids: frozenset[str] = frozenset()


class FakeSim:
    """Only what `install_faults` and the fake routes need: a lock, a clock, keys, items."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.clock = Clock("manual", START)
        self.keys: dict[str, FakePrincipal] = {}
        self.items: dict[str, dict] = {}
        self.applied = 0
        self.config = SimpleNamespace(max_body_bytes=1 << 20)

    def add_key(self, key: str, company_id: str | None = None, managed: tuple = ()) -> None:
        kind = KeyKind.COMPANY if company_id else KeyKind.ATS
        self.keys[key] = FakePrincipal(kind, company_id, frozenset(managed))

    def authenticate(self, header: str | None) -> FakePrincipal:
        scheme, _, key = (header or "").partition(" ")
        if scheme != "Bearer" or key not in self.keys:
            raise InvalidApiKey()
        return self.keys[key]


def make_fake_app() -> tuple[Flask, FakeSim]:
    """A public `POST/GET /interviews[/<id>]` (also at /v1) and a `/_sim/items` read-back."""
    sim = FakeSim()
    app = Flask("fake_sim")
    app.extensions["instaview_sim"] = sim
    register_error_handlers(app)  # the real single translation point

    def create():
        with sim.lock:
            item = {"id": str(uuid.uuid4()), "body": request.get_json(silent=True)}
            sim.items[item["id"]] = item
            sim.applied += 1
        return jsonify(success=True, data=item, error=None, timestamp=iso(sim.clock.now())), 201

    def get(item_id: str):
        with sim.lock:
            if item_id not in sim.items:
                raise ResourceNotFound("Interview", item_id)
            return jsonify(success=True, data=sim.items[item_id], error=None,
                           timestamp=iso(sim.clock.now()))

    for prefix in ("", "/v1"):
        app.add_url_rule(f"{prefix}/interviews", f"create{prefix}", create, methods=["POST"])
        app.add_url_rule(f"{prefix}/interviews/<item_id>", f"get{prefix}", get)

    @app.get("/_sim/items")
    def sim_items():
        with sim.lock:
            return jsonify(success=True, data=list(sim.items.values()), error=None,
                           timestamp=iso(sim.clock.now()))

    install_faults(app, sim)
    return app, sim


@pytest.fixture
def fake():
    app, sim = make_fake_app()
    return app, sim, app.test_client()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def arm():
    """`arm(test_client, **fault_body)` -> the created fault's `data` (asserts the 201)."""

    def _arm(client, **body: Any) -> dict:
        resp = client.post("/_sim/faults", json=body)
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()["data"]

    return _arm


@pytest.fixture
def serve():
    """`serve(app, "werkzeug" | "waitress") -> base_url`: the app on a loopback port, stopped
    after the test: werkzeug through serve_in_thread, waitress as `instaview-sim serve` runs it."""
    stops = []

    def _serve(app, server: str) -> str:
        if server == "werkzeug":
            url = serve_in_thread(app)
            stops.append(url.stop)
            return str(url)
        port = free_port()
        from waitress import wasyncore
        from waitress.server import create_server

        srv = create_server(app, host="127.0.0.1", port=port, threads=4,
                            asyncore_loop_timeout=0.05)
        thread = threading.Thread(target=srv.run, daemon=True)

        def stop(srv=srv, thread=thread):
            # close every channel from inside the loop thread (closing them from here
            # races its select); the loop ends when its map is empty
            srv.trigger.pull_trigger(lambda: wasyncore.close_all(srv._map))
            thread.join(timeout=5)
            srv.task_dispatcher.shutdown()

        stops.append(stop)
        thread.start()
        return f"http://127.0.0.1:{port}"

    yield _serve
    for stop in stops:
        stop()
