"""Targets (harness.md "Targets"): what the harness talks to. The one module that may import
``simulator``, lazily, to build the in-process target."""

from __future__ import annotations

import os
from typing import Any, Callable

import attrs
import requests

from .drivers import ControlPlane, Driver, HttpDriver


@attrs.define
class Options:
    """The harness's options, from pytest's command line or the environment."""

    base_url: str | None = None
    control_token: str | None = attrs.field(default=None, repr=False)
    black_box: bool = False
    api_key_a: str | None = attrs.field(default=None, repr=False)
    api_key_b: str | None = attrs.field(default=None, repr=False)
    client: str | None = None
    client_cmd: str | None = None
    lenient_errors: bool = False

    @classmethod
    def from_env(cls) -> "Options":
        env = os.environ
        return cls(base_url=env.get("INSTAVIEW_BASE_URL") or None,
                   control_token=env.get("INSTAVIEW_CONTROL_TOKEN") or None,
                   black_box=env.get("INSTAVIEW_BLACK_BOX", "") in ("1", "true", "yes"),
                   api_key_a=env.get("INSTAVIEW_API_KEY_A") or None,
                   api_key_b=env.get("INSTAVIEW_API_KEY_B") or None,
                   client=env.get("INSTAVIEW_CLIENT") or None,
                   client_cmd=env.get("INSTAVIEW_CLIENT_CMD") or None)


@attrs.define
class Target:
    """``driver`` carries public API traffic (raw HTTP or a client); ``control`` is direct
    HTTP to /_sim (None in black-box mode); ``raw`` is raw HTTP for the checks' own reads."""

    name: str
    driver: Driver
    raw: HttpDriver
    control: ControlPlane | None
    black_box: bool = False
    # a server the user named (--base-url): other runs may share it, and so its clock
    shared_server: bool = False
    keys: tuple[str, str] | None = attrs.field(default=None, repr=False)
    _closers: list[Callable[[], Any]] = attrs.field(factory=list, repr=False)

    def close(self) -> None:
        for closer in reversed(self._closers):
            closer()
        self._closers.clear()


def in_process_app(**overrides: Any) -> Any:
    """A fresh in-process simulator (manual clock, no automatic call ends)."""
    from simulator.web.app import create_app  # the one import of simulator (harness.md)

    overrides.setdefault("clock_mode", "manual")
    overrides.setdefault("auto_end_calls", None)
    return create_app(**overrides)


def in_process_target(app: Any = None) -> Target:
    from .transport import IN_PROCESS_URL, wsgi_session

    app = app if app is not None else in_process_app()
    session = wsgi_session(app)
    raw = HttpDriver(session, IN_PROCESS_URL)
    return Target(name="in-process", driver=raw, raw=raw,
                  control=ControlPlane(session, IN_PROCESS_URL), closers=[session.close])


def http_target(base_url: str, token: str | None = None) -> Target:
    session = requests.Session()
    raw = HttpDriver(session, base_url)
    return Target(name=base_url, driver=raw, raw=raw,
                  control=ControlPlane(requests.Session(), base_url, token),
                  closers=[session.close])


def build_target(options: Options) -> Target:
    """The target the options describe; the caller closes it."""
    closers: list[Callable[[], Any]] = []
    base_url = options.base_url
    if options.black_box:
        if not (base_url and options.api_key_a and options.api_key_b):
            raise ValueError("--black-box needs --base-url, --api-key-a and --api-key-b")
        target = http_target(base_url)
        target.control = None
        target.black_box = True
        target.keys = (options.api_key_a, options.api_key_b)
    elif base_url:
        target = http_target(base_url, options.control_token)
        target.shared_server = True
    elif options.client or options.client_cmd:
        # A client needs a socket: serve the in-process simulator on a free loopback port.
        from simulator.testing import serve_in_thread

        served = serve_in_thread(in_process_app())
        closers.append(served.stop)
        base_url = str(served)
        target = http_target(base_url)
    else:
        return in_process_target()
    if options.client or options.client_cmd:
        from . import client_drivers

        if options.client:
            driver = client_drivers.make_python_client_driver(options.client, base_url,
                                                              options.lenient_errors)
        else:
            driver = client_drivers.make_command_driver(options.client_cmd, base_url,
                                                        options.lenient_errors)
        target.driver = driver
        target.name = f"{getattr(driver, 'name', 'client')} -> {base_url}"
        closers.append(driver.close)
    target._closers[:0] = closers  # noqa: SLF001 - built here
    return target
