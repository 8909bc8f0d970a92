"""Fixtures for the HTTP tests: a fresh app per test (manual clock, fixed start, seed), its
envelope-checking test client, and a two-company world (helpers in http_world.py)."""
from __future__ import annotations

import pytest
from http_world import World, make_app


@pytest.fixture
def app():
    app = make_app()
    yield app
    app.extensions["instaview_sim"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(client) -> World:
    return World(client)
