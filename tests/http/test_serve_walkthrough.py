"""The README's curl walkthrough (docs/walkthrough.md) against a real `instaview-sim serve`.

The commands are parsed from docs/walkthrough.md and replayed with `requests`, so the
document and the test cannot drift apart.
"""
from __future__ import annotations

import os
import re
import shlex
import signal
from pathlib import Path

import pytest
import requests

from simulator.testing import serve_process

WALKTHROUGH = Path(__file__).resolve().parents[2] / "docs" / "walkthrough.md"
CAPTURE = re.compile(r"^(\w+)=\$\((curl\s.*)\|\s*jq -r\s+(\S+)\)$", re.S)
ASSIGN = re.compile(r"^(\w+)=(\S+)$")
VAR = re.compile(r"\$\{?(\w+)\}?")


def shell_block(text: str) -> str:
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    assert len(blocks) >= 2, "docs/walkthrough.md: the serve block and the walkthrough block"
    return blocks[-1]


def parse_steps(block: str) -> list[dict]:
    """[{"kind": "assign"|"curl", "var", "value", "argv", "jq", "expect"}] in order."""
    steps: list[dict] = []
    pending = ""
    for line in block.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            m = re.match(r"\s*# expect:\s*(\d{3})(.*)$", line)
            if m:
                steps[-1]["expect"] = (int(m.group(1)), m.group(2).split())
            continue
        pending = f"{pending}\n{line}" if pending else line
        text = pending.replace("\\\n", " ")
        if text.endswith("\\"):
            continue
        try:
            shlex.split(text)
        except ValueError:  # an open quote: the command goes on
            continue
        pending = ""
        if m := CAPTURE.match(text.strip()):
            steps.append({"kind": "curl", "var": m.group(1), "argv": shlex.split(m.group(2)),
                          "jq": m.group(3).strip("'\""), "expect": None})
        elif m := ASSIGN.match(text.strip()):
            steps.append({"kind": "assign", "var": m.group(1), "value": m.group(2)})
        elif text.strip().startswith("curl "):
            steps.append({"kind": "curl", "var": None, "argv": shlex.split(text), "jq": None,
                          "expect": None})
        else:
            raise AssertionError(f"walkthrough: cannot replay {text!r}")
    return steps


def jq(doc, path: str):
    """The `jq -r` paths the walkthrough uses: .a.b[0].c"""
    for name, index in re.findall(r"\.(\w+)|\[(\d+)\]", path):
        doc = doc[name] if name else doc[int(index)]
    return doc


def run_curl(argv: list[str], env: dict[str, str]) -> requests.Response:
    assert argv[0] == "curl"
    method, headers, data, url = None, {}, None, None
    args = iter(argv[1:])
    for arg in args:
        arg = VAR.sub(lambda m: env[m.group(1)], arg)
        if arg == "-s":
            continue
        if arg == "-X":
            method = next(args)
        elif arg == "-H":
            name, _, value = VAR.sub(lambda m: env[m.group(1)], next(args)).partition(":")
            headers[name.strip()] = value.strip()
        elif arg == "-d":
            data = VAR.sub(lambda m: env[m.group(1)], next(args)).encode()
        else:
            assert url is None, f"unexpected curl argument {arg!r}"
            url = arg
    method = method or ("POST" if data is not None else "GET")
    return requests.request(method, url, headers=headers, data=data, timeout=10)


@pytest.fixture
def served():
    """A real `instaview-sim serve --clock manual --port 0` on 127.0.0.1, stopped by PID."""
    with serve_process("--clock", "manual") as sp:
        yield sp.url, sp.proc


def test_walkthrough_parses_every_step():
    steps = parse_steps(shell_block(WALKTHROUGH.read_text()))
    curls = [s for s in steps if s["kind"] == "curl"]
    assert len(curls) >= 12
    assert all(s["expect"] for s in curls), "every curl command has an '# expect:' line"


@pytest.mark.serve
def test_serve_walkthrough_seed_rules(served):
    base, proc = served
    env: dict[str, str] = {}
    seen = []
    for step in parse_steps(shell_block(WALKTHROUGH.read_text())):
        if step["kind"] == "assign":
            env[step["var"]] = base if step["var"] == "SIM" else step["value"]
            continue
        resp = run_curl(step["argv"], env)
        status, words = step["expect"]
        text = resp.text
        assert resp.status_code == status, (step["argv"], resp.status_code, text)
        for word in words:
            assert word in text, (step["argv"], word, text)
        if resp.content:
            body = resp.json()
            assert set(body) == {"success", "data", "error", "timestamp"}
            assert body["success"] is (status < 400)
        assert resp.headers.get("X-Request-Id")
        if step["var"]:
            env[step["var"]] = str(jq(resp.json(), step["jq"]))
        seen.append((resp.request.method, status))
    assert ("DELETE", 200) in seen and ("DELETE", 404) in seen and ("DELETE", 403) in seen
    # the events endpoint in the right order: the slot is released before post-call is skipped
    events = requests.get(f"{base}/_sim/events", params={"interviewId": env["IID"]},
                          timeout=10).json()["data"]["events"]
    types = [e["type"] for e in events]
    assert types.index("interview.deleted") < types.index("session.ended") \
        < types.index("slot.released") < types.index("postcall.skipped")
    assert "postcall.queued" not in types and "postcall.done" not in types
    assert requests.get(f"{base}/_sim/invariants", timeout=10).json()["data"]["ok"] is True
    # stops cleanly on SIGTERM
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert "stopped" in proc.stdout.read()


@pytest.mark.serve
def test_serve_config_keys_printed_and_no_control_plane():
    """`serve --config` alone gives a person keys to call; `--no-control-plane` hides /_sim."""
    with serve_process("--no-control-plane", "--seed", "3", "--config",
                       str(WALKTHROUGH.parents[1] / "examples" / "sim-config.json")) as sp:
        base = sp.url
        keys = re.findall(r"(sk_[0-9A-Za-z]{43})", "".join(sp.banner))
        assert len(keys) == 3
        resp = requests.get(f"{base}/company", headers={"Authorization": f"Bearer {keys[0]}"},
                            timeout=2)
        assert resp.status_code == 200 and resp.json()["data"]["data"][0]["name"] == \
            "Acme Recruiting"
        ats = requests.get(f"{base}/v1/companies", headers={"Authorization": f"Bearer {keys[2]}"},
                           timeout=2).json()["data"]
        assert ats["total"] == 2
        resp = requests.get(f"{base}/_sim/clock", timeout=2)
        assert (resp.status_code, resp.json()["error"]["code"]) == (404, "ROUTE_NOT_FOUND")
        assert sp.stop() == 0  # stops cleanly on SIGTERM
