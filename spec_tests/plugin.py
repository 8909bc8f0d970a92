"""pytest plugin of the harness (entry point ``pytest11: spec_tests``): the target options,
the hypothesis profiles, namespaced fixtures and the closing coverage table. It only adds
options and fixtures; outside ``spec_tests`` it changes nothing."""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

PROFILES = {
    # whole harness in CI well under a minute on 2 cores
    "ci": dict(max_examples=30, stateful_step_count=30),
    "dev": dict(max_examples=8, stateful_step_count=20),
    "thorough": dict(max_examples=400, stateful_step_count=60),
}
for _name, _values in PROFILES.items():
    settings.register_profile(
        _name, deadline=None, print_blob=True, report_multiple_bugs=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                               HealthCheck.data_too_large], **_values)

SHARDS = 2  # the suite is split so pytest-xdist (-n 2) runs both halves in parallel


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("instaview-spec", "instaview-sim harness (spec_tests)")

    def add(*names: str, **kwargs: Any) -> None:
        try:
            group.addoption(*names, **kwargs)
        except ValueError:  # another plugin (pytest-base-url) already owns the option
            pass

    add("--base-url", dest="instaview_base_url", default=None,
        help="check a server with the control plane at URL/_sim (env INSTAVIEW_BASE_URL)")
    add("--control-token", dest="instaview_control_token", default=None,
        help="bearer token for /_sim (env INSTAVIEW_CONTROL_TOKEN)")
    add("--black-box", dest="instaview_black_box", action="store_true", default=False,
        help="no control plane: only rules the public API can drive (env INSTAVIEW_BLACK_BOX=1)")
    add("--api-key-a", dest="instaview_api_key_a", default=None,
        help="black-box: full-scope key of company A (env INSTAVIEW_API_KEY_A)")
    add("--api-key-b", dest="instaview_api_key_b", default=None,
        help="black-box: full-scope key of company B (env INSTAVIEW_API_KEY_B)")
    add("--client", dest="instaview_client", default=None,
        help="MODULE:FACTORY of a Python client adapter (env INSTAVIEW_CLIENT)")
    add("--client-cmd", dest="instaview_client_cmd", default=None,
        help="command of a JSON-lines client adapter (env INSTAVIEW_CLIENT_CMD)")
    add("--lenient-errors", dest="instaview_lenient_errors", action="store_true",
        default=False, help="accept a client that loses error status/code")
    add("--spec-coverage-json", dest="instaview_coverage_json", default="spec-coverage.json",
        help="where the harness writes its coverage table (default spec-coverage.json)")


def harness_options(config: pytest.Config) -> Any:
    from .targets import Options

    env = Options.from_env()
    get = config.getoption
    return Options(
        base_url=get("instaview_base_url", None) or env.base_url,
        control_token=get("instaview_control_token", None) or env.control_token,
        black_box=bool(get("instaview_black_box", False)) or env.black_box,
        api_key_a=get("instaview_api_key_a", None) or env.api_key_a,
        api_key_b=get("instaview_api_key_b", None) or env.api_key_b,
        client=get("instaview_client", None) or env.client,
        client_cmd=get("instaview_client_cmd", None) or env.client_cmd,
        lenient_errors=bool(get("instaview_lenient_errors", False)))


@pytest.fixture(scope="session")
def instaview_spec_target(request: pytest.FixtureRequest) -> Any:
    """The target the options describe, shared by the session's test cases (each makes its
    own tenants)."""
    from . import machines
    from .targets import build_target

    global _USED
    _USED = True  # the coverage table is shown only for runs of the suite itself
    target = build_target(harness_options(request.config))
    machines.set_target(target)
    yield target
    machines.set_target(None)
    target.close()


@pytest.fixture
def instaview_spec_settings(request: pytest.FixtureRequest) -> settings:
    """The chosen profile (``--hypothesis-profile``; ``ci`` unless one of ours is chosen),
    split across the shards."""
    chosen = request.config.getoption("hypothesis_profile", None)
    base = settings.get_profile(chosen if chosen in PROFILES else "ci")
    per_shard = max(1, -(-base.max_examples // SHARDS))
    return settings(base, max_examples=per_shard)


# ---------------------------------------------------------------- reports

_REPRO_NOTE = (
    "Reproduce: paste the program above after\n"
    "    from spec_tests.machines import InterviewLifecycle\n"
    "(it runs against a fresh in-process simulator; for a server first run\n"
    "    import spec_tests.machines as m, spec_tests.targets as t; "
    "m.set_target(t.http_target(URL)))\n"
    "or rerun the same case with --hypothesis-seed and the seed printed above.")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Any:
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.when == "call" and "instaview_spec_target" in getattr(
            item, "fixturenames", ()):
        report.sections.append(("spec_tests reproduction", _REPRO_NOTE))


_USED = False


def _coverage_payload() -> dict[str, Any] | None:
    from . import machines

    if not _USED or not machines.COVERAGE["rules"]:
        return None
    return {"rules": dict(machines.COVERAGE["rules"]),
            "transitions": dict(machines.COVERAGE["transitions"]),
            "invariants": dict(machines.COVERAGE["invariants"]),
            "skipped_rules": dict(machines.SKIPPED_RULES)}


_MERGED: dict[str, Any] = {}


def _merge(payload: dict[str, Any] | None) -> None:
    if not payload:
        return
    for key in ("rules", "transitions", "invariants"):
        counter = Counter(_MERGED.get(key, {}))
        counter.update(payload.get(key, {}))
        _MERGED[key] = dict(counter)
    _MERGED.setdefault("skipped_rules", {}).update(payload.get("skipped_rules", {}))


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the counts to the controller
        payload = _coverage_payload()
        if payload:
            workeroutput["instaview_spec_coverage"] = json.dumps(payload)


def pytest_testnodedown(node: Any, error: Any) -> None:  # xdist controller hook
    raw = getattr(node, "workeroutput", {}).get("instaview_spec_coverage")
    if raw:
        _merge(json.loads(raw))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config
                            ) -> None:
    if getattr(config, "workeroutput", None) is not None:
        return
    _merge(_coverage_payload())
    if not _MERGED:
        return
    from .model import INVARIANTS

    write = terminalreporter.write_line
    terminalreporter.section("spec_tests coverage")
    write("lifecycle transitions exercised:")
    for name, n in sorted(_MERGED.get("transitions", {}).items()):
        write(f"  {n:6d}  {name}")
    write("invariants checked:")
    inv = _MERGED.get("invariants", {})
    for number, name in INVARIANTS.items():
        write(f"  {inv.get(str(number), 0):6d}  {number:2d}. {name}")
    write("rules run: " + ", ".join(f"{k} {v}" for k, v in
                                    sorted(_MERGED.get("rules", {}).items())))
    for rule_name, why in sorted(_MERGED.get("skipped_rules", {}).items()):
        write(f"skipped: {rule_name} ({why})")
    path = config.getoption("instaview_coverage_json", None)
    if path:
        with open(os.fspath(path), "w", encoding="utf-8") as fh:
            json.dump(_MERGED, fh, indent=2, sort_keys=True)
        write(f"coverage written to {path}")
