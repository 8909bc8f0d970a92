"""Emission, signed delivery to a real receiver, retries on the virtual clock, the circuit
breaker and "no webhook after delete" (lifecycle.md, Webhooks and Deletion)."""
from __future__ import annotations

import datetime as dt

import pytest

from client_under_test.signing import verify_signature

T0 = dt.datetime(2026, 1, 1, 10, 0, tzinfo=dt.timezone.utc)


def _ts(seconds: float) -> str:
    return str(int((T0 + dt.timedelta(seconds=seconds)).timestamp()))


def test_emit_completed_interview_delivers_both_events_signed(world, sim, rx):
    a = world.actor(world.company())
    hook = world.webhook(a, rx.url("/h"), events=["interview.started", "interview.completed",
                                                  "analysis.completed"],
                         headers=[{"name": "X-Tenant", "value": "acme"}])
    interview = world.online_interview(a)
    sim.join(interview.id)
    world.advance(120)
    sim.end_call(interview.id, {"outcome": "COMPLETED"})
    world.advance(30)  # postCallDelaySeconds
    world.idle()
    got = rx.received("/h")
    assert [r.event for r in got] == ["interview.started", "interview.completed",
                                      "analysis.completed"]
    for r in got:
        assert verify_signature(hook["signingSecret"], r.headers, r.raw, now=sim.clock.now())
        assert r.headers["x-tenant"] == "acme"
        assert r.json["event"] == r.event and r.json["deliveryId"] == r.delivery_id
        assert r.json["data"]["interviewId"] == interview.id
    assert got[1].json["data"]["status"] == "COMPLETED"
    assert got[2].json["data"]["analysis"] == sim.get_interview(a, interview.id).analysis
    assert got[1].headers["x-instaview-timestamp"] == _ts(150)
    journal = [e for e in sim.events({"type": "webhook.enqueued"})["events"]]
    assert [e["data"]["event"] for e in journal] == [r.event for r in got]
    assert [e["data"]["deliveryId"] for e in journal] == [r.delivery_id for r in got]
    assert all(d["state"] == "DELIVERED" for d in world.deliveries(interviewId=interview.id))


def test_emit_test_interview_delivers_completed_and_analysis(world, rx):
    a = world.actor(world.company())
    world.webhook(a, rx.url("/t"))
    interview = world.online_interview(a, isTest=True)
    world.idle()
    got = rx.received("/t")
    assert [r.event for r in got] == ["interview.completed", "analysis.completed"]
    assert got[0].json["data"]["callAttemptId"] is None
    assert {d["interviewId"] for d in world.deliveries()} == {interview.id}


def test_emit_routes_per_company_and_skips_inactive(world, rx):
    c1, c2 = world.company(), world.company()
    a1, a2 = world.actor(c1), world.actor(c2)
    ats = world.ats_actor([c1, c2])
    world.webhook(a1, rx.url("/c1"))
    world.webhook(a1, rx.url("/off"), isActive=False)
    world.webhook(ats, rx.url("/ats-global"))
    world.webhook(ats, rx.url("/ats-c2"), companyId=c2)
    world.webhook(a2, rx.url("/started-only"), events=["interview.started"])
    world.online_interview(a1, isTest=True)
    world.online_interview(a2, isTest=True)
    world.idle()
    count = {p: len(rx.received(p)) for p in ("/c1", "/off", "/ats-global", "/ats-c2",
                                              "/started-only")}
    assert count == {"/c1": 2, "/off": 0, "/ats-global": 4, "/ats-c2": 2, "/started-only": 0}


def test_retry_fails_twice_then_succeeds_at_virtual_times(world, sim, rx):
    a = world.actor(world.company())
    hook = world.webhook(a, rx.url("/flaky"), events=["interview.completed"])
    rx.script("/flaky", [500, 502, 200])
    interview = world.online_interview(a, isTest=True)
    world.idle()
    assert len(rx.received("/flaky")) == 1
    world.advance(9.999)
    assert len(rx.received("/flaky")) == 1  # not one millisecond early
    world.advance(0.001)
    assert len(rx.received("/flaky")) == 2
    world.advance(59.999)
    assert len(rx.received("/flaky")) == 2
    world.advance(0.001)
    world.idle()
    got = rx.received("/flaky")
    assert [r.headers["x-instaview-timestamp"] for r in got] == [_ts(0), _ts(10), _ts(70)]
    assert len({r.delivery_id for r in got}) == 1  # the same delivery, tried three times
    assert all(verify_signature(hook["signingSecret"], r.headers, r.raw, tolerance=None)
               for r in got)
    (d,) = world.deliveries(interviewId=interview.id)
    assert d["state"] == "DELIVERED" and d["nextTryAt"] is None
    assert [(t["at"], t["status"]) for t in d["tries"]] == [
        ("2026-01-01T10:00:00.000Z", 500), ("2026-01-01T10:00:10.000Z", 502),
        ("2026-01-01T10:01:10.000Z", 200)]
    assert sim.get_webhook(a, hook["id"], query={}).consecutive_failures == 0
    world.advance(3600)
    assert len(rx.received("/flaky")) == 3  # nothing after success


def test_retry_exhausts_after_one_plus_max_retries(world, sim, rx):
    a = world.actor(world.company())
    hook = world.webhook(a, rx.url("/down"), events=["interview.completed"], maxRetries=4)
    rx.default_status = 500
    world.online_interview(a, isTest=True)
    world.advance(10 + 60 + 300 + 300 + 1000)
    world.idle()
    got = rx.received("/down")
    assert [r.headers["x-instaview-timestamp"] for r in got] == [
        _ts(0), _ts(10), _ts(70), _ts(370), _ts(670)]
    (d,) = world.deliveries()
    assert d["state"] == "FAILED" and len(d["tries"]) == 5 and d["nextTryAt"] is None
    assert sim.get_webhook(a, hook["id"], query={}).consecutive_failures == 1


def test_retry_connection_refused_and_timeout_are_failures(world, sim, rx):
    a = world.actor(world.company())
    world.webhook(a, "http://127.0.0.1:9/closed", events=["interview.completed"], maxRetries=0)
    world.webhook(a, rx.url("/slow"), events=["interview.completed"], maxRetries=0,
                  timeoutMs=200)
    rx.set_delay("/slow", 1.0)
    world.online_interview(a, isTest=True)
    world.idle()
    errors = sorted(d["tries"][0]["error"] for d in world.deliveries())
    assert errors[0].startswith("connection failed") and "timed out after 200 ms" in errors[1]
    assert all(d["state"] == "FAILED" for d in world.deliveries())


def test_circuit_opens_after_five_exhausted_and_reset_closes_it(world, sim, rx):
    a = world.actor(world.company())
    hook = world.webhook(a, rx.url("/dead"), events=["interview.completed", "ping"],
                         maxRetries=0)
    rx.default_status = 500
    for i in range(5):
        world.online_interview(a, isTest=True)
        world.idle()
        cfg = sim.get_webhook(a, hook["id"], query={}).to_dict()
        assert cfg["consecutiveFailures"] == i + 1
        assert (cfg["circuitOpenedAt"] is None) == (i < 4)
    world.online_interview(a, isTest=True)  # open circuit: nothing is emitted to it
    world.idle()
    assert len(rx.received("/dead")) == 5 and len(world.deliveries()) == 5
    test = sim.test_webhook(a, hook["id"], query={}).to_dict()
    assert test["success"] is False and "circuit" in test["message"]
    reset = sim.reset_webhook_circuit(a, hook["id"], query={}).to_dict()
    assert reset["consecutiveFailures"] == 0 and reset["circuitOpenedAt"] is None
    assert reset["isActive"] is True
    rx.default_status = 200
    world.online_interview(a, isTest=True)
    world.idle()
    assert len(rx.received("/dead")) == 6
    assert world.deliveries()[-1]["state"] == "DELIVERED"


def test_circuit_success_resets_consecutive_failures(world, sim, rx):
    a = world.actor(world.company())
    hook = world.webhook(a, rx.url("/x"), events=["interview.completed"], maxRetries=0)
    rx.script("/x", [500, 500, 500, 500, 200, 500])
    for _ in range(6):
        world.online_interview(a, isTest=True)
        world.idle()
    cfg = sim.get_webhook(a, hook["id"], query={}).to_dict()
    assert cfg["consecutiveFailures"] == 1 and cfg["circuitOpenedAt"] is None


def test_delete_webhook_fails_pending_deliveries(world, sim, rx):
    a = world.actor(world.company())
    hook = world.webhook(a, rx.url("/gone"), events=["interview.completed"])
    rx.default_status = 500
    world.online_interview(a, isTest=True)
    world.idle()
    sim.delete_webhook(a, hook["id"], query={})
    (d,) = world.deliveries(webhookId=hook["id"])
    assert d["state"] == "FAILED" and d["reason"] == "webhook deleted"
    assert d["nextTryAt"] is None
    world.advance(3600)
    assert len(rx.received("/gone")) == 1


@pytest.mark.parametrize("outcome", ["COMPLETED", "NO_ANSWER", "BUSY", "FAILED"])
def test_delete_interview_during_call_delivers_nothing_after(world, sim, rx, outcome):
    company = world.company(maxCallAttempts=3)
    a = world.actor(company)
    world.webhook(a, rx.url("/all"), events=["interview.started", "interview.completed",
                                             "analysis.completed", "interview.failed"])
    interview = world.phone_interview(a)
    world.advance(0)  # the attempt starts: interview.started
    world.idle()
    assert [r.event for r in rx.received("/all")] == ["interview.started"]
    sim.delete_interview(a, interview.id, query={})
    world.advance(45)
    sim.end_call(interview.id, {"outcome": outcome})
    world.advance(2 * 3600)  # post-call delay and any retry delay, many times over
    world.idle()
    assert [r.event for r in rx.received("/all")] == ["interview.started"]
    events = sim.events({"interviewId": interview.id})["events"]
    (deleted,) = [e for e in events if e["type"] == "interview.deleted"]
    assert [e for e in events if e["type"] == "webhook.enqueued"
            and e["seq"] > deleted["seq"]] == []
    assert deleted["at"] == "2026-01-01T10:00:00.000Z"
    assert len(world.deliveries(interviewId=interview.id)) == 1


def test_delete_interview_keeps_deliveries_queued_before(world, sim, rx):
    a = world.actor(world.company())
    world.webhook(a, rx.url("/late"), events=["interview.completed"])
    rx.script("/late", [500])
    interview = world.online_interview(a, isTest=True)
    world.idle()
    sim.delete_interview(a, interview.id, query={})
    world.advance(10)  # lifecycle.md: deliveries queued before the deletion still go out
    world.idle()
    assert [r.json["data"]["interviewId"] for r in rx.received("/late")] == [interview.id] * 2
    assert world.deliveries()[0]["state"] == "DELIVERED"


def test_reset_drops_webhooks_and_outbox(world, sim, rx):
    a = world.actor(world.company())
    world.webhook(a, rx.url("/r"))
    world.online_interview(a, isTest=True)
    world.idle()
    sim.reset({})
    assert world.deliveries() == []
    assert sim.webhooks._configs == {}


def test_deliveries_read_lets_receiver_call_back(world, sim, rx):
    """The sender posts outside sim.lock and a settling read releases the lock while it
    waits, so a receiver that calls the simulator back is never stuck behind that read."""
    import time

    a = world.actor(world.company())
    world.webhook(a, rx.url("/cb"), events=["interview.completed"], timeoutMs=5000)
    seen = []

    def call_back(rec):
        with sim.lock:  # what the web layer does for every request
            seen.append(sim.get_interview(a, rec.json["data"]["interviewId"]).status.value)

    rx.on_receive("/cb", call_back)
    started = time.monotonic()
    with sim.lock:  # one "request" creates the interview, the next reads the outbox
        world.online_interview(a, isTest=True)
        with sim.lock:
            (d,) = world.deliveries()
    assert d["state"] == "DELIVERED" and seen == ["COMPLETED"]
    assert time.monotonic() - started < 4  # well before the 5 s timeout


def test_advance_clock_real_mode_runs_retries(make_sim, world_of, rx):
    from simulator.core import Simulator

    class RealClock(Simulator):
        def __init__(self, **kw):
            super().__init__(**{**kw, "clock_mode": "real"})

    sim = make_sim(RealClock)
    world = world_of(sim)
    a = world.actor(world.company())
    world.webhook(a, rx.url("/rt"), events=["interview.completed"])
    rx.script("/rt", [500])
    world.online_interview(a, isTest=True)
    assert rx.wait_count(1, "/rt")
    sim.start_ticker(0.05)
    try:
        world.advance(10)  # the retry is due; the ticker (or the advance) runs it
        assert rx.wait_count(2, "/rt", timeout=5)
    finally:
        sim.stop_ticker()
    assert sim.webhooks.wait_idle(5)
    assert world.deliveries()[0]["state"] == "DELIVERED"
