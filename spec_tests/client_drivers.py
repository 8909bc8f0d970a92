"""Drivers that send the harness's public API traffic through a client (harness.md "Client operations").

``make_python_client_driver("module:factory", base_url, lenient)`` wraps a Python adapter;
``make_command_driver("node adapter.mjs", base_url, lenient)`` speaks the JSON-lines adapter
protocol to a program in any language. Both implement the ``Driver`` protocol of
``spec_tests.drivers``: ``call(op, args, auth) -> Outcome``. A client that breaks the protocol,
or that loses the status or code of an answer the server gave, raises ``ClientContractError``
with a message that says what the client did wrong.
"""

from __future__ import annotations

import collections
import importlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from typing import Any, Callable

from .drivers import Outcome

ANSWER_TIMEOUT = 30.0  # seconds; harness.md "Any language"
STDERR_TAIL = 60  # lines of the adapter's stderr shown with a failure

# Every operation of harness.md's vocabulary.
CLIENT_OPERATIONS = frozenset(
    """create_interview create_candidate create_job create_agent create_webhook create_company
    get_interview delete_interview get_candidate delete_candidate get_job delete_job get_agent
    delete_agent get_webhook delete_webhook get_company test_webhook reset_webhook_circuit
    update_candidate update_job update_agent update_webhook update_company list_interviews
    list_candidates list_jobs list_agents list_webhooks list_companies get_billing_usage
    invoke_call_attempt reschedule_call_attempt delete_call_attempt""".split()
)


class ClientContractError(AssertionError):
    """The client under test broke the adapter protocol or lost information (a test failure)."""


def _success(result: Any) -> Outcome:
    return Outcome.success(result)


def _failure(status: int | None, code: str | None, message: str) -> Outcome:
    return Outcome.failure(status, code, message)


class _ErrorPolicy:
    """harness.md: a client that reports no status or code for a request the server did
    answer loses information, unless ``--lenient-errors``. Whether the server answered is
    known to the harness (no fault armed: it answered), which says so through
    ``answer_expected``."""

    def __init__(self, name: str, lenient: bool) -> None:
        self.name = name
        self.lenient = lenient
        self.answer_expected: Callable[[], bool] = lambda: True

    def check(self, op: str, status: Any, code: Any, message: str) -> Outcome:
        if status is not None and (not isinstance(status, int) or isinstance(status, bool)):
            raise ClientContractError(
                f"client {self.name} reported a non-integer status {status!r} for {op}"
            )
        if (status is None or code is None) and not self.lenient and self.answer_expected():
            missing = " and ".join(n for n, v in (("status", status), ("code", code)) if v is None)
            raise ClientContractError(
                f"client {self.name} loses information: {op} failed and the client reported no "
                f"{missing}, although the server answered (no fault was armed). A client must "
                f"surface the HTTP status and the envelope's error.code; its error said: "
                f"{message!r}. Run with --lenient-errors to accept this."
            )
        return _failure(status, None if code is None else str(code), str(message))


# -- Python clients --------------------------------------------------------------------------


def load_factory(spec: str) -> Callable[[str], Any]:
    """``"package.module:factory"`` -> the factory; the current directory counts as importable."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"--client expects MODULE:FACTORY, got {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        if os.getcwd() in sys.path:
            raise
        sys.path.insert(0, os.getcwd())  # a user's own client next to their tests
        module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ValueError(f"--client {spec!r}: module {module_name} has no {attr!r}") from None


class PythonClientDriver:
    """Runs each operation through ``adapter.call(op, args, auth)`` of a Python client."""

    def __init__(self, spec: str, base_url: str, lenient: bool) -> None:
        self.spec = spec
        self.base_url = base_url
        self.name = f"client {spec}"
        self.adapter = load_factory(spec)(base_url)
        self.errors = _ErrorPolicy(f"--client {spec}", lenient)

    @property
    def answer_expected(self) -> Callable[[], bool]:
        return self.errors.answer_expected

    @answer_expected.setter
    def answer_expected(self, fn: Callable[[], bool]) -> None:
        self.errors.answer_expected = fn

    def __repr__(self) -> str:
        return f"PythonClientDriver({self.spec!r})"

    def call(self, op: str, args: dict[str, Any], auth: dict[str, Any]) -> Outcome:
        try:
            result = self.adapter.call(op, args, auth)
        except Exception as exc:  # the adapter's way of reporting a failed call
            status = getattr(exc, "status", None)
            code = getattr(exc, "code", None)
            message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            return self.errors.check(op, status, code, message)
        return _success(result)

    def close(self) -> None:
        close = getattr(self.adapter, "close", None)
        if callable(close):
            close()


def make_python_client_driver(spec: str, base_url: str, lenient: bool = False) -> PythonClientDriver:
    return PythonClientDriver(spec, base_url, lenient)


# -- any language: the JSON-lines adapter ------------------------------------------------------


class CommandDriver:
    """Starts ``cmd`` once and exchanges one JSON line per request with it.

    A protocol failure (bad JSON, wrong seq, no answer in time, early exit) raises
    ``ClientContractError`` and stops the process; the next call starts a fresh one, so that
    a replayed (shrunk) sequence meets the same adapter behaviour again.
    """

    def __init__(
        self, cmd: str, base_url: str, lenient: bool, answer_timeout: float = ANSWER_TIMEOUT
    ) -> None:
        self.cmd = cmd
        self.base_url = base_url
        self.answer_timeout = answer_timeout
        self.name = f"client-cmd {cmd!r}"
        self.errors = _ErrorPolicy(f"--client-cmd {cmd!r}", lenient)
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL)
        self._threads: list[threading.Thread] = []
        self._seq = 0
        self._lock = threading.Lock()

    @property
    def answer_expected(self) -> Callable[[], bool]:
        return self.errors.answer_expected

    @answer_expected.setter
    def answer_expected(self, fn: Callable[[], bool]) -> None:
        self.errors.answer_expected = fn

    def __repr__(self) -> str:
        return f"CommandDriver({self.cmd!r})"

    # -- process management -------------------------------------------------------------

    def _start(self) -> subprocess.Popen[str]:
        env = {**os.environ, "INSTAVIEW_BASE_URL": self.base_url}
        proc = subprocess.Popen(
            self.cmd, shell=True, env=env, text=True, encoding="utf-8", bufsize=1,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, so a stop reaches its children
        )  # fmt: skip
        lines: queue.Queue[str | None] = queue.Queue()
        stderr: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL)

        def pump_stdout() -> None:
            assert proc.stdout is not None
            try:
                for line in proc.stdout:
                    lines.put(line)
            except (OSError, ValueError):
                pass
            finally:
                lines.put(None)  # end of output: the process exited or closed stdout
                proc.stdout.close()

        def pump_stderr() -> None:
            assert proc.stderr is not None
            try:
                for line in proc.stderr:
                    stderr.append(line.rstrip("\n"))
            except (OSError, ValueError):
                pass
            finally:
                proc.stderr.close()

        self._threads = [
            threading.Thread(target=fn, daemon=True, name=f"adapter-{fn.__name__}")
            for fn in (pump_stdout, pump_stderr)
        ]
        for thread in self._threads:
            thread.start()
        self._proc, self._lines, self._stderr, self._seq = proc, lines, stderr, 0
        return proc

    def _stop(self, wait: float = 5.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()  # harness.md: when stdin closes, the adapter exits
        except OSError:
            pass
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the shell and whatever it started
            except OSError:
                proc.kill()
            proc.wait(timeout=5)
        for thread in self._threads:
            thread.join(timeout=2.0)  # the pumps close their streams at end of file

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _fail(self, what: str) -> ClientContractError:
        """Stop the adapter and build the failure, naming the adapter and showing its stderr."""
        self._stop(wait=1.0)
        tail = "\n".join(f"    {line}" for line in self._stderr) or "    (nothing)"
        return ClientContractError(f"JSON-lines adapter {self.cmd!r} {what}\n  its stderr:\n{tail}")

    # -- one exchange ---------------------------------------------------------------------

    def call(self, op: str, args: dict[str, Any], auth: dict[str, Any]) -> Outcome:
        with self._lock:
            return self._exchange(op, args, auth)

    def _exchange(self, op: str, args: dict[str, Any], auth: dict[str, Any]) -> Outcome:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            self._stop(wait=1.0)
            proc = self._start()
        self._seq += 1
        seq = self._seq
        request = {"seq": seq, "op": op, "args": args, "auth": auth}
        try:
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(request, separators=(",", ":")) + "\n")
            proc.stdin.flush()
        except (OSError, ValueError):
            raise self._fail(
                f"exited (code {proc.poll()}) before it could read request seq {seq} ({op})"
            ) from None
        try:
            line = self._lines.get(timeout=self.answer_timeout)
        except queue.Empty:
            raise self._fail(
                f"gave no answer to request seq {seq} ({op}) within {self.answer_timeout:g} s"
            ) from None
        if line is None:
            try:
                code = proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                code = None
            raise self._fail(f"exited (code {code}) before answering request seq {seq} ({op})")
        try:
            answer = json.loads(line)
        except ValueError:
            raise self._fail(
                f"answered request seq {seq} ({op}) with a line that is not valid JSON: "
                f"{line.rstrip()[:300]!r}"
            ) from None
        if not isinstance(answer, dict):
            raise self._fail(f"answered request seq {seq} ({op}) with {answer!r}, not an object")
        if answer.get("seq") != seq:
            raise self._fail(
                f"answered with seq {answer.get('seq')!r} where seq {seq} ({op}) was expected"
            )
        ok = answer.get("ok")
        if ok is True:
            return _success(answer.get("result"))
        error = answer.get("error")
        if ok is not False or not isinstance(error, dict):
            raise self._fail(
                f'answered request seq {seq} ({op}) without "ok": true/false and an "error" '
                f"object: {line.rstrip()[:300]!r}"
            )
        return self.errors.check(
            op, error.get("status"), error.get("code"), str(error.get("message") or "")
        )


def make_command_driver(
    cmd: str, base_url: str, lenient: bool = False, answer_timeout: float = ANSWER_TIMEOUT
) -> CommandDriver:
    return CommandDriver(cmd, base_url, lenient, answer_timeout=answer_timeout)
