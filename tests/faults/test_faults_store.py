"""FaultStore: validation of the body, matching rules (decisions 36) and `times` counting."""
from __future__ import annotations

import threading

import pytest

from simulator.core.errors import ResourceNotFound, ValidationError
from simulator.core.faults import FaultAction, FaultPhase, FaultStore, path_variants

COMPANY_A = "6f1c2f7e-0000-4000-8000-00000000000a"
COMPANY_B = "6f1c2f7e-0000-4000-8000-00000000000b"


def fields_of(exc: ValidationError) -> set[str]:
    return {f for f, _ in exc.fields}


def test_add_fault_defaults():
    fault = FaultStore().add({"action": "error"})
    assert (fault.phase, fault.status, fault.delay_ms, fault.times) == (
        FaultPhase.BEFORE, 503, 1000, 1)
    assert fault.to_dict()["companyId"] is None


def test_add_fault_times_null_is_unlimited():
    store = FaultStore()
    store.add({"action": "error", "times": None})
    for _ in range(50):
        assert store.match("GET", "/interviews", None)[0] is not None
    assert store.list()[0].times is None


@pytest.mark.parametrize("body, field", [
    ({}, "action"),
    ({"action": "explode"}, "action"),
    ({"action": "error", "phase": "during"}, "phase"),
    ({"action": "error", "status": 200}, "status"),
    ({"action": "error", "status": "503"}, "status"),
    ({"action": "error", "status": True}, "status"),
    ({"action": "delay", "delayMs": -1}, "delayMs"),
    ({"action": "delay", "delayMs": 1.5}, "delayMs"),
    ({"action": "error", "times": 0}, "times"),
    ({"action": "error", "method": "FETCH"}, "method"),
    ({"action": "error", "path": "interviews"}, "path"),
    ({"action": "error", "path": "/_sim/*"}, "path"),
    ({"action": "error", "path": 7}, "path"),
    ({"action": "error", "companyId": "acme"}, "companyId"),
])
def test_add_fault_invalid_field(body, field):
    with pytest.raises(ValidationError) as info:
        FaultStore().add(body)
    assert info.value.status == 400 and info.value.code == "VALIDATION_ERROR"
    assert field in fields_of(info.value)


def test_add_fault_lists_every_bad_field():
    with pytest.raises(ValidationError) as info:
        FaultStore().add({"action": "boom", "phase": "x", "times": -3})
    assert fields_of(info.value) == {"action", "phase", "times"}


def test_add_fault_not_an_object():
    with pytest.raises(ValidationError) as info:
        FaultStore().add(["error"])
    assert fields_of(info.value) == {"body"}


def test_add_fault_invalid_changes_nothing():
    store = FaultStore()
    with pytest.raises(ValidationError):
        store.add({"action": "error", "status": 99})
    assert store.list() == []


def test_add_fault_normalises_method_and_company():
    fault = FaultStore().add({"action": "drop", "method": "delete",
                              "companyId": COMPANY_A.upper(), "phase": "after"})
    assert (fault.method, fault.company_id, fault.action) == ("DELETE", COMPANY_A,
                                                             FaultAction.DROP)


def test_remove_fault_unknown():
    with pytest.raises(ResourceNotFound) as info:
        FaultStore().remove("6f1c2f7e-0000-4000-8000-000000000000")
    assert (info.value.status, info.value.code) == (404, "RESOURCE_NOT_FOUND")


def test_remove_fault_malformed_id():
    with pytest.raises(ValidationError) as info:
        FaultStore().remove("nope")
    assert info.value.code == "VALIDATION_ERROR"


def test_remove_fault_then_clear():
    store = FaultStore()
    one = store.add({"action": "error"})
    store.add({"action": "drop"})
    store.remove(one.id)
    assert [f.action for f in store.list()] == [FaultAction.DROP]
    assert store.clear() == 1 and store.list() == []


def test_match_fault_times_counts_down_then_disarms():
    store = FaultStore()
    store.add({"action": "error", "times": 2})
    assert store.match("GET", "/interviews", None)[0] is not None
    assert store.list()[0].times == 1
    assert store.match("GET", "/interviews", None)[0] is not None
    assert store.list() == []
    assert store.match("GET", "/interviews", None) == (None, None)


def test_match_fault_times_atomic_under_threads():
    store = FaultStore()
    store.add({"action": "error", "times": 100})
    hits = []

    def worker():
        for _ in range(50):
            hits.append(store.match("POST", "/interviews", None)[0] is not None)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(hits) == 100 and store.list() == []


@pytest.mark.parametrize("glob, path, hit", [
    ("/interviews/*", "/interviews/abc", True),
    ("/interviews/*", "/v1/interviews/abc", True),
    ("/v1/interviews/*", "/interviews/abc", True),
    ("/interviews/*", "/interviews/abc/call-attempts/def", True),  # * crosses /
    ("/interviews/*/call-attempts", "/v1/interviews/abc/call-attempts", True),
    ("/interviews", "/interviews/", True),  # trailing slashes are accepted (decisions 2)
    ("/interviews", "/interviews/abc", False),
    ("/interviews/*", "/candidates/abc", False),
    ("/interviews/*", "/v2/interviews/abc", False),
])
def test_match_fault_path_glob(glob, path, hit):
    store = FaultStore()
    store.add({"action": "error", "path": glob, "times": None})
    assert (store.match("GET", path, None)[0] is not None) is hit


def test_path_variants_with_and_without_v1():
    assert set(path_variants("/v1/company")) == {"/company", "/v1/company"}
    assert set(path_variants("/company")) == {"/company", "/v1/company"}


def test_match_fault_method_filter():
    store = FaultStore()
    store.add({"action": "error", "method": "DELETE", "times": None})
    assert store.match("GET", "/interviews/x", None) == (None, None)
    assert store.match("delete", "/interviews/x", None)[0] is not None


def test_match_fault_company_filter():
    store = FaultStore()
    store.add({"action": "error", "companyId": COMPANY_A, "times": None})
    assert store.needs_company()
    assert store.match("GET", "/interviews", COMPANY_B) == (None, None)
    assert store.match("GET", "/interviews", None) == (None, None)
    assert store.match("GET", "/interviews", COMPANY_A)[0] is not None


def test_match_fault_never_control_plane():
    store = FaultStore()
    store.add({"action": "error", "times": None})
    assert store.match("POST", "/_sim/reset", None) == (None, None)
    assert store.match("GET", "/_sim", None) == (None, None)
    # decisions 2: /v1/_sim is not the control plane, so it is public (a 404 route)
    assert store.match("GET", "/v1/_sim/state", None)[0] is not None


def test_match_fault_one_before_and_one_after_earliest_first():
    store = FaultStore()
    first = store.add({"action": "delay", "delayMs": 0})
    store.add({"action": "error"})
    after1 = store.add({"action": "error", "phase": "after"})
    store.add({"action": "drop", "phase": "after"})
    before, after = store.match("POST", "/interviews", None)
    assert (before.id, after.id) == (first.id, after1.id)
    assert len(store.list()) == 2  # one use of one fault of each phase was consumed


def test_match_fault_answering_before_leaves_after_armed():
    store = FaultStore()
    store.add({"action": "error"})
    after = store.add({"action": "error", "phase": "after"})
    before, taken = store.match("POST", "/interviews", None)
    assert before is not None and taken is None  # the request never ran
    assert [f.id for f in store.list()] == [after.id]
