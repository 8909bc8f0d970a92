"""`instaview-sim`: serve the simulator (waitress), run the harness (`check`), receive webhooks."""
from __future__ import annotations

import ipaddress
import json
import secrets
import signal
import sys
from typing import Any

import click

from simulator.core.errors import SimError


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_config(sim: Any, path: str) -> list[str]:
    """Create the companies and keys of a `--config` file; return the lines to print.

    Format (examples/sim-config.json):
    `{"companies": [{"ref", "name", <settings>..., "keys": [{"name", "scopes", "rateLimit"?}]}],
      "atsKeys": [{"name", "scopes", "manages": [<ref>...]}]}`
    """
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError) as exc:
        raise click.UsageError(f"--config {path}: {exc}") from None
    if not isinstance(doc, dict):
        raise click.UsageError(f"--config {path}: must be a JSON object")
    lines: list[str] = []
    refs: dict[str, str] = {}
    try:
        with sim.lock:
            for spec in doc.get("companies") or []:
                spec = dict(spec)
                keys = spec.pop("keys", None) or []
                ref = spec.pop("ref", None)
                company = sim.sim_create_company(spec)
                refs[ref or company["name"]] = company["id"]
                lines.append(f"company {company['name']!r}: id {company['id']}, "
                             f"phoneNumberIds {company['phoneNumberIds']}")
                for k in keys:
                    key = sim.sim_create_api_key({**k, "kind": "COMPANY",
                                                  "companyId": company["id"]})
                    lines.append(f"  COMPANY key {k.get('name') or key['id']}: {key['key']}")
            for k in doc.get("atsKeys") or []:
                k = dict(k)
                manages = k.pop("manages", None) or []
                unknown = [r for r in manages if r not in refs]
                if unknown:
                    raise click.UsageError(f"--config {path}: unknown company refs {unknown}")
                key = sim.sim_create_api_key({**k, "kind": "ATS",
                                              "managedCompanyIds": [refs[r] for r in manages]})
                lines.append(f"ATS key {k.get('name') or key['id']} (manages "
                             f"{', '.join(manages) or 'nothing yet'}): {key['key']}")
    except SimError as exc:
        raise click.UsageError(f"--config {path}: {exc.message}") from None
    return lines


@click.group()
@click.version_option(package_name="instaview-sim")
def main() -> None:
    """A local simulator of the InstaView AI-interview API, and a harness that checks servers
    and clients against it."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port to bind (0: a free one; the URL is printed).")
@click.option("--clock", "clock_mode", type=click.Choice(["real", "manual"]), default="real",
              show_default=True, help="real: wall time plus advances; manual: only advances.")
@click.option("--start", default=None, help="The clock's start instant (ISO-8601).")
@click.option("--seed", default=None, type=int, help="Repeat ids and generated content.")
@click.option("--auto-end-calls", default=60, show_default=True, type=click.IntRange(min=0),
              help="Default autoEndCallSeconds for new companies (0: sessions never end "
                   "by themselves).")
@click.option("--control-token", default=None,
              help="Require 'Authorization: Bearer <token>' on /_sim.")
@click.option("--no-control-plane", is_flag=True, help="Remove /_sim entirely.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="JSON file of companies and keys to create at start (keys are printed).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256))
def serve(host: str, port: int, clock_mode: str, start: str | None, seed: int | None,
          auto_end_calls: int, control_token: str | None, no_control_plane: bool,
          config_file: str | None, threads: int) -> None:
    """Serve the public API and the control plane on a multi-threaded waitress server."""
    from waitress import create_server

    from simulator.web.app import create_app

    if not no_control_plane and control_token is None and not is_loopback_host(host):
        control_token = secrets.token_urlsafe(24)  # control-plane.md: non-loopback needs one
        click.echo(f"control token (required on /_sim): {control_token}")
    try:
        app = create_app(clock_mode=clock_mode, start=start, seed=seed,
                         auto_end_calls=auto_end_calls or None,
                         control_plane=not no_control_plane, control_token=control_token)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--start") from None
    sim = app.extensions["instaview_sim"]
    try:
        for line in load_config(sim, config_file) if config_file else []:
            click.echo(line)
        server = create_server(app, host=host, port=port, threads=threads)
    except BaseException:
        sim.close()
        raise
    url_host = f"[{host}]" if ":" in host else host
    click.echo(f"instaview-sim serving on http://{url_host}:{server.effective_port} "
               f"(clock {clock_mode}; Ctrl-C to stop)")
    sys.stdout.flush()

    def _terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)  # also when started with SIGINT ignored (`cmd &`)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        sim.close()
    click.echo("instaview-sim stopped")


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
              add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def check(args: tuple[str, ...]) -> None:
    """Run the spec harness (options as `pytest spec_tests`; `check --help` lists them)."""
    from spec_tests.cli import check as run_check  # the harness owns its options

    sys.exit(run_check(list(args)))


@main.group()
def webhooks() -> None:
    """Webhook helpers."""


@webhooks.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", required=True, type=click.IntRange(0, 65535))
@click.option("--secret", default=None, help="signingSecret to verify signatures with.")
def listen(host: str, port: int, secret: str | None) -> None:
    """Print every webhook delivery received (verifying signatures with --secret)."""
    from simulator.webhook_listen import listen as run_listen

    run_listen(host=host, port=port, secret=secret)


if __name__ == "__main__":  # pragma: no cover
    main()
