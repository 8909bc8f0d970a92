"""company_resolver against the real engine: which company a public request acts on."""
from __future__ import annotations

import pytest

from simulator.web.faults import company_resolver

engine = pytest.importorskip("simulator.core.engine")


@pytest.fixture
def sim():
    return engine.Simulator(clock_mode="manual")


def environ(key: str | None, query: str = "") -> dict:
    env = {"PATH_INFO": "/interviews", "REQUEST_METHOD": "GET", "QUERY_STRING": query}
    if key is not None:
        env["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return env


def test_resolve_company_company_key(sim):
    company = sim.sim_create_company({"name": "A"})
    key = sim.sim_create_api_key({"kind": "COMPANY", "companyId": company["id"], "scopes": "*"})
    resolve = company_resolver(sim)
    assert resolve(environ(key["key"], "companyId=6f1c2f7e-0000-4000-8000-00000000000b")) == (
        company["id"])  # a COMPANY key's companyId parameter is ignored (api.md)


def test_resolve_company_ats_key(sim):
    a = sim.sim_create_company({"name": "A"})
    b = sim.sim_create_company({"name": "B"})
    key = sim.sim_create_api_key({"kind": "ATS", "managedCompanyIds": [a["id"]], "scopes": "*"})
    resolve = company_resolver(sim)
    assert resolve(environ(key["key"], f"companyId={a['id'].upper()}")) == a["id"]
    assert resolve(environ(key["key"], f"companyId={b['id']}")) is None  # not managed
    assert resolve(environ(key["key"])) is None


def test_resolve_company_bad_key_raises_for_middleware(sim):
    resolve = company_resolver(sim)
    assert resolve(environ(None)) is None
    with pytest.raises(Exception):  # the middleware turns any raise into "no company"
        resolve(environ("sk_unknown"))
