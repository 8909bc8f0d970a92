"""The operation vocabulary: name -> scopes and company selection mode (api.md, Scopes)."""
from __future__ import annotations

from attrs import frozen

from simulator.core.enums import CompanyMode


@frozen
class Operation:
    name: str
    scopes: tuple[str, ...]
    company: CompanyMode
    ats_only: bool = False


def _op(name: str, scopes: str, company: CompanyMode, ats_only: bool = False) -> Operation:
    return Operation(name, tuple(scopes.split()), company, ats_only)


R, O, N = CompanyMode.REQUIRED, CompanyMode.OPTIONAL, CompanyMode.NONE

_OPS = [
    _op("list_interviews", "read:interviews read:candidates read:agents", R),
    _op("get_interview", "read:interviews", R),
    _op("create_interview", "write:interviews read:candidates read:agents", R),
    _op("delete_interview", "delete:interviews", R),
    _op("invoke_call_attempt", "write:interviews", R),
    _op("reschedule_call_attempt", "write:interviews", R),
    _op("delete_call_attempt", "write:interviews", R),
    _op("list_companies", "read:companies", N),
    _op("get_company", "read:companies", N),
    _op("create_company", "write:companies", N, ats_only=True),
    _op("update_company", "write:companies", N),
    _op("list_webhooks", "read:webhooks", O),
    _op("get_webhook", "read:webhooks", O),
    _op("create_webhook", "write:webhooks", O),
    _op("update_webhook", "write:webhooks", O),
    _op("delete_webhook", "write:webhooks", O),
    _op("test_webhook", "write:webhooks", O),
    _op("reset_webhook_circuit", "write:webhooks", O),
    _op("get_billing_usage", "read:billing", O),
]
for _res in ("candidate", "job", "agent"):
    _plural = _res + "s"
    _OPS += [
        _op(f"list_{_plural}", f"read:{_plural}", R),
        _op(f"get_{_res}", f"read:{_plural}", R),
        _op(f"create_{_res}", f"write:{_plural}", R),
        _op(f"update_{_res}", f"write:{_plural}", R),
        _op(f"delete_{_res}", f"delete:{_plural}", R),
    ]

OPERATIONS: dict[str, Operation] = {op.name: op for op in _OPS}

WEBHOOK_OPERATIONS = (
    "create_webhook", "list_webhooks", "get_webhook", "update_webhook", "delete_webhook",
    "test_webhook", "reset_webhook_circuit",
)
