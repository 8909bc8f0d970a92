"""Errors: one root `SimError`, one class per condition of api.md's error table."""
from __future__ import annotations

from typing import Any, Iterable


class SimError(Exception):
    """Root of every error the simulator answers with; the web layer turns it into the envelope."""

    status: int = 500
    code: str = "INTERNAL_ERROR"
    default_message: str = "Internal error"

    def __init__(self, message: str | None = None, details: dict[str, Any] | None = None):
        self.message = message or self.default_message
        self.details: dict[str, Any] = dict(details or {})  # decisions 5: never absent
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}

    @property
    def headers(self) -> dict[str, str]:
        """Extra response headers this error needs (429: Retry-After and X-RateLimit-*)."""
        return {}


class ValidationError(SimError):
    status, code = 400, "VALIDATION_ERROR"

    def __init__(self, fields: Iterable[tuple[str, str]] = (), message: str | None = None):
        self.fields = [(f, m) for f, m in fields]
        if message is None:
            if self.fields:
                message = "; ".join(f"{f}: {m}" for f, m in self.fields)
            else:
                message = "The request is invalid"
        super().__init__(
            message, {"fields": [{"field": f, "message": m} for f, m in self.fields]}
        )


class InvalidState(SimError):
    status, code = 400, "INVALID_STATE"
    default_message = "The resource's current state does not allow this operation"


class InvalidApiKey(SimError):
    status, code = 401, "INVALID_API_KEY"
    default_message = (
        "The API key is missing, invalid or revoked: send 'Authorization: Bearer <key>'"
    )


class ApiKeySuspended(SimError):
    status, code = 401, "API_KEY_SUSPENDED"

    def __init__(self, suspended_at: str | None, reason: str | None):
        super().__init__(
            "This API key is suspended; ask the account owner to reactivate it",
            {"suspendedAt": suspended_at, "reason": reason},
        )


class InsufficientPermissions(SimError):
    status, code = 403, "INSUFFICIENT_PERMISSIONS"

    def __init__(
        self,
        required: Iterable[str] = (),
        missing: Iterable[str] = (),
        required_key_kind: str | None = None,
    ):
        required, missing = list(required), list(missing)
        details: dict[str, Any] = {"requiredScopes": required, "missingScopes": missing}
        if required_key_kind:
            details["requiredKeyKind"] = required_key_kind
            message = f"This operation needs an {required_key_kind} API key"
        else:
            message = f"The API key lacks the scope '{missing[0]}'" if missing else (
                "The API key lacks a required scope")
        super().__init__(message, details)


class ResourceAccessDenied(SimError):
    status, code = 403, "RESOURCE_ACCESS_DENIED"

    def __init__(self, resource_type: str = "Company", resource_id: str | None = None):
        what = f"{resource_type} {resource_id}" if resource_id else resource_type
        super().__init__(
            f"Access denied to {what}: it belongs to another company",
            {"resourceType": resource_type, "resourceId": resource_id},
        )


class ResourceNotFound(SimError):
    status, code = 404, "RESOURCE_NOT_FOUND"

    def __init__(self, resource_type: str, resource_id: str | None):
        super().__init__(
            f"{resource_type} {resource_id} not found",
            {"resourceType": resource_type, "resourceId": resource_id},
        )


class RouteNotFound(SimError):
    status, code = 404, "ROUTE_NOT_FOUND"

    def __init__(self, method: str | None = None, path: str | None = None):
        msg = f"No route for {method} {path}" if path else "No such route"
        details = {"method": method, "path": path} if path else {}
        super().__init__(msg, details)


class MethodNotAllowed(SimError):
    status, code = 405, "METHOD_NOT_ALLOWED"

    def __init__(self, method: str | None = None, path: str | None = None,
                 allowed: Iterable[str] = ()):
        allowed = sorted(allowed)
        msg = f"Method {method} is not allowed on {path}" if path else "Method not allowed"
        details: dict[str, Any] = {}
        if allowed:
            details["allowedMethods"] = allowed
        super().__init__(msg, details)


class InvalidStateTransition(SimError):
    status, code = 409, "INVALID_STATE_TRANSITION"
    default_message = "The current state forbids this operation"


class PayloadTooLarge(SimError):
    status, code = 413, "PAYLOAD_TOO_LARGE"

    def __init__(self, limit: int = 1 << 20):
        super().__init__(f"The request body is larger than {limit} bytes", {"limit": limit})


class UnsupportedMediaType(SimError):
    status, code = 415, "UNSUPPORTED_MEDIA_TYPE"

    def __init__(self, content_type: str | None = None):
        super().__init__(
            "Send the body as JSON with 'Content-Type: application/json'",
            {"contentType": content_type},
        )


class RateLimitExceeded(SimError):
    status, code = 429, "RATE_LIMIT_EXCEEDED"

    def __init__(self, retry_after: int, limit: int, reset: int,
                 rate_headers: dict[str, str] | None = None):
        self.retry_after = retry_after
        self.limit = limit
        self.reset = reset
        self.rate_headers = dict(rate_headers or {})
        super().__init__(
            f"Rate limit exceeded: retry after {retry_after} seconds",
            {"retryAfter": retry_after, "limit": limit, "remaining": 0, "reset": reset},
        )

    @property
    def headers(self) -> dict[str, str]:
        return {**self.rate_headers, "Retry-After": str(self.retry_after)}


class InternalError(SimError):
    status, code = 500, "INTERNAL_ERROR"
    default_message = "Internal error (a bug in the simulator)"


class NotImplementedYet(SimError):
    status, code = 501, "NOT_IMPLEMENTED"
    default_message = "This provider endpoint is not simulated"

    def __init__(self, what: str | None = None):
        super().__init__(f"{what} is not simulated" if what else None,
                         {"feature": what} if what else {})
