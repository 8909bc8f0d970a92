"""The seven configuration operations through the core (ownership, validation, masking)."""
from __future__ import annotations

import re

import pytest

from simulator.core.errors import ResourceAccessDenied, ResourceNotFound, SimError

HTTPS = "https://hooks.example.com/instaview"


def _err(exc_info) -> tuple[int, str]:
    e = exc_info.value
    assert isinstance(e, SimError)
    return e.status, e.code


def test_create_webhook_returns_secret_once(world, sim):
    a = world.actor(world.company())
    made = world.webhook(a, HTTPS, headers=[{"name": "X-Token", "value": "s3cret"}])
    assert re.fullmatch(r"[0-9a-f]{64}", made["signingSecret"])
    assert made["isActive"] is True and made["url"] == HTTPS
    assert made["headers"] == [{"name": "X-Token", "isMasked": True}]
    got = sim.get_webhook(a, made["id"], query={}).to_dict()
    assert "signingSecret" not in got
    assert "s3cret" not in repr(sim.webhooks._configs[made["id"]])
    assert made["signingSecret"] not in repr(sim.webhooks._configs[made["id"]])


def test_create_webhook_echoes_event_spellings_lower_dot(world):
    a = world.actor(world.company())
    made = world.webhook(a, HTTPS, events=["INTERVIEW_STARTED", 3, "analysis.completed", 3])
    assert made["events"] == ["interview.started", "interview.completed", "analysis.completed"]


@pytest.mark.parametrize("events", [["interview.deleted"], ["Interview.Completed"], [99], [],
                                    "ping", [True]])
def test_create_webhook_unknown_event_is_400(world, events):
    a = world.actor(world.company())
    with pytest.raises(SimError) as ei:
        world.webhook(a, HTTPS, events=events) if isinstance(events, list) else \
            world.sim.create_webhook(a, query={}, body={"url": HTTPS, "events": events})
    assert _err(ei) == (400, "VALIDATION_ERROR")
    assert ei.value.details["fields"][0]["field"] == "events"


@pytest.mark.parametrize("url", ["http://hooks.example.com/x", "ftp://127.0.0.1/x", "hooks",
                                 "https://", "http://10.0.0.1/x", "https://h:99999/x"])
def test_create_webhook_bad_url_is_400(world, url):
    a = world.actor(world.company())
    with pytest.raises(SimError) as ei:
        world.webhook(a, url)
    assert _err(ei) == (400, "VALIDATION_ERROR")
    assert ei.value.details["fields"][0]["field"] == "url"


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "http://localhost/x",
                                 "http://[::1]:8080/x", "http://127.5.6.7/x", HTTPS])
def test_create_webhook_loopback_http_is_accepted(world, url):
    a = world.actor(world.company())
    assert world.webhook(a, url)["url"] == url


@pytest.mark.parametrize("headers", [[{"name": "X-InstaView-Signature", "value": "x"}],
                                     [{"name": "Content-Type", "value": "x"}],
                                     [{"name": "Bad Name", "value": "x"}],
                                     [{"name": "X-A", "value": "a\r\nb"}],
                                     [{"name": "X-A", "value": ""}],
                                     [{"name": "X-A", "value": "1"}, {"name": "x-a", "value": "2"}],
                                     [{"name": f"X-{i}", "value": "v"} for i in range(51)],
                                     {"X-A": "1"}])
def test_create_webhook_bad_headers_is_400(world, headers):
    a = world.actor(world.company())
    with pytest.raises(SimError) as ei:
        world.webhook(a, HTTPS, headers=headers)
    assert _err(ei) == (400, "VALIDATION_ERROR")
    assert ei.value.details["fields"][0]["field"].startswith("headers")


def test_create_webhook_missing_fields_is_400_and_creates_nothing(world, sim):
    a = world.actor(world.company())
    with pytest.raises(SimError) as ei:
        sim.create_webhook(a, query={}, body={"name": "x"})
    assert _err(ei) == (400, "VALIDATION_ERROR")
    assert {f["field"] for f in ei.value.details["fields"]} == {"url", "events"}
    assert sim.list_webhooks(a, query={"page": 1, "limit": 20}).total == 0


def test_create_webhook_other_company_id_is_403(world):
    a = world.actor(world.company())
    with pytest.raises(SimError) as ei:
        world.webhook(a, HTTPS, companyId=world.company())
    assert _err(ei) == (403, "RESOURCE_ACCESS_DENIED")


def test_get_webhook_other_company_is_403(world, sim):
    mine = world.webhook(world.actor(world.company()), HTTPS)
    other = world.actor(world.company())
    with pytest.raises(ResourceAccessDenied) as ei:
        sim.get_webhook(other, mine["id"], query={})
    assert _err(ei) == (403, "RESOURCE_ACCESS_DENIED")


def test_get_webhook_missing_is_404(world, sim):
    a = world.actor(world.company())
    with pytest.raises(ResourceNotFound) as ei:
        sim.get_webhook(a, "5f1c0000-0000-4000-8000-000000000000", query={})
    assert _err(ei) == (404, "RESOURCE_NOT_FOUND")
    assert ei.value.details["resourceType"] == "WebhookConfig"


def test_get_webhook_same_company_other_key_is_allowed(world, sim):
    c = world.company()
    made = world.webhook(world.actor(c), HTTPS)
    assert sim.get_webhook(world.actor(c), made["id"], query={}).id == made["id"]


def test_update_webhook_replaces_headers_whole(world, sim):
    a = world.actor(world.company())
    made = world.webhook(a, HTTPS, headers=[{"name": "X-A", "value": "1"},
                                            {"name": "X-B", "value": "2"}])
    sim.clock.advance(5)
    got = sim.update_webhook(a, made["id"], query={},
                             body={"headers": [{"name": "X-C", "value": "3"}],
                                   "events": ["PING"], "isActive": False}).to_dict()
    assert got["headers"] == [{"name": "X-C", "isMasked": True}]
    assert got["events"] == ["ping"] and got["isActive"] is False
    assert got["updatedAt"] > made["updatedAt"]


def test_update_webhook_invalid_changes_nothing(world, sim):
    a = world.actor(world.company())
    made = world.webhook(a, HTTPS)
    with pytest.raises(SimError) as ei:
        sim.update_webhook(a, made["id"], query={}, body={"name": "ok", "url": "http://x.io"})
    assert _err(ei) == (400, "VALIDATION_ERROR")
    assert sim.get_webhook(a, made["id"], query={}).to_dict() == {
        k: v for k, v in made.items() if k != "signingSecret"}


def test_delete_webhook_then_get_is_404(world, sim):
    a = world.actor(world.company())
    made = world.webhook(a, HTTPS)
    assert sim.delete_webhook(a, made["id"], query={}) is None
    for op in (sim.get_webhook, sim.delete_webhook, sim.test_webhook, sim.reset_webhook_circuit):
        with pytest.raises(ResourceNotFound):
            op(a, made["id"], query={})


def test_list_webhooks_ats_company_filter_excludes_globals(world, sim):
    c1, c2 = world.company(), world.company()
    ats = world.ats_actor([c1, c2])
    g = world.webhook(ats, HTTPS)  # global: every managed company
    w1 = world.webhook(ats, HTTPS, companyId=c1)
    w2 = world.webhook(ats, HTTPS, companyId=c2)
    assert g["companyId"] is None
    everything = sim.list_webhooks(ats, query={"page": 1, "limit": 20}).to_dict()
    assert {w["id"] for w in everything["data"]} == {g["id"], w1["id"], w2["id"]}
    ats_c1 = world.ats_actor([c1, c2], op="list_webhooks", company_param=c1)
    only = sim.list_webhooks(ats_c1, query={"page": 1, "limit": 20}).to_dict()
    assert [w["id"] for w in only["data"]] == [w1["id"]] and only["total"] == 1


def test_list_webhooks_company_key_sees_own_only(world, sim):
    c1, c2 = world.company(), world.company()
    a1 = world.actor(c1)
    mine = world.webhook(a1, HTTPS)
    world.webhook(world.actor(c2), HTTPS)
    page = sim.list_webhooks(a1, query={"page": 1, "limit": 20}).to_dict()
    assert [w["id"] for w in page["data"]] == [mine["id"]]
    assert page["totalPages"] == 1


def test_create_webhook_ats_unmanaged_company_is_403(world):
    ats = world.ats_actor([world.company()])
    with pytest.raises(SimError) as ei:
        world.webhook(ats, HTTPS, companyId=world.company())
    assert _err(ei) == (403, "RESOURCE_ACCESS_DENIED")


def test_test_webhook_not_subscribed_to_ping(world, sim):
    a = world.actor(world.company())
    made = world.webhook(a, HTTPS)
    res = sim.test_webhook(a, made["id"], query={}).to_dict()
    assert res["success"] is False and "ping" in res["message"]
    assert "deliveryId" not in res and world.deliveries() == []


def test_test_webhook_inactive_creates_no_delivery(world, sim):
    a = world.actor(world.company())
    made = world.webhook(a, HTTPS, events=["ping"], isActive=False)
    res = sim.test_webhook(a, made["id"], query={}).to_dict()
    assert res["success"] is False and "no delivery" in res["message"]
    assert world.deliveries() == []


def test_test_webhook_success_against_receiver(world, sim, rx):
    a = world.actor(world.company())
    made = world.webhook(a, rx.url("/ok"), events=["ping"])
    res = sim.test_webhook(a, made["id"], query={}).to_dict()
    assert res["success"] is True and res["message"] == "Webhook test successful!"
    assert res["httpStatus"] == 200 and isinstance(res["durationMs"], int)
    (got,) = rx.received("/ok")
    assert got.event == "ping" and got.delivery_id == res["deliveryId"]
    assert got.json["data"] == {"webhookId": made["id"],
                                "message": "Test delivery from instaview-sim"}


def test_test_webhook_failure_does_not_count_toward_circuit(world, sim, rx):
    a = world.actor(world.company())
    made = world.webhook(a, rx.url("/down"), events=["ping"])
    rx.script("/down", [503] * 6)
    for _ in range(6):
        res = sim.test_webhook(a, made["id"], query={}).to_dict()
        assert res == {"success": False, "message": "Webhook test failed: HTTP 503",
                       "deliveryId": res["deliveryId"], "httpStatus": 503,
                       "durationMs": res["durationMs"]}
    cfg = sim.get_webhook(a, made["id"], query={}).to_dict()
    assert cfg["consecutiveFailures"] == 0 and cfg["circuitOpenedAt"] is None
    assert [d["state"] for d in world.deliveries()] == ["FAILED"] * 6
