"""Exceptions of the reference client: one root, one class per error-code family (api.md "Error codes")."""

from __future__ import annotations

from typing import Any


class InstaViewError(Exception):
    """Root of every error the client raises.

    ``status`` is the HTTP status (``None`` when no answer reached the client), ``code`` the
    envelope's error code (``None`` when the answer carried none), ``details`` the envelope's
    ``error.details`` and ``request_id`` the ``X-Request-Id`` header of the answer.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.details = details if details is not None else {}
        self.request_id = request_id

    def __str__(self) -> str:
        head = " ".join(str(p) for p in (self.status, self.code) if p is not None)
        tail = f" (request {self.request_id})" if self.request_id else ""
        return f"{head}: {self.message}{tail}" if head else f"{self.message}{tail}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r}, request_id={self.request_id!r})"
        )


class AuthenticationError(InstaViewError):
    """401: the key is missing, unknown, revoked or suspended."""


class PermissionDeniedError(InstaViewError):
    """403: the key lacks a scope, or the resource or company is not the key's to touch."""

    @property
    def required_scopes(self) -> list[str]:
        return list(self.details.get("requiredScopes") or [])

    @property
    def missing_scopes(self) -> list[str]:
        return list(self.details.get("missingScopes") or [])


class NotFoundError(InstaViewError):
    """404 RESOURCE_NOT_FOUND: the resource does not exist or was deleted."""


class RouteError(InstaViewError):
    """404 ROUTE_NOT_FOUND, 405, 501: the client called something the server does not serve.

    Kept apart from NotFoundError so that a wrong path is never read as "the resource is gone".
    """


class ValidationError(InstaViewError):
    """400 VALIDATION_ERROR, 413, 415: the request itself is malformed."""

    @property
    def fields(self) -> list[dict[str, Any]]:
        """Per-field problems, ``[{"field": ..., "message": ...}]`` (api.md "Envelope")."""
        return list(self.details.get("fields") or [])


class StateError(InstaViewError):
    """400 INVALID_STATE / 409 INVALID_STATE_TRANSITION: the resource's state forbids this."""


class RateLimitError(InstaViewError):
    """429 RATE_LIMIT_EXCEEDED; ``retry_after`` in seconds, from ``Retry-After`` or the details."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        if retry_after is None:
            raw = self.details.get("retryAfter")
            retry_after = float(raw) if isinstance(raw, (int, float)) else None
        self.retry_after = retry_after


class ServerError(InstaViewError):
    """5xx: the server failed (any 500 from the simulator is a bug; others are injected faults)."""


class APIConnectionError(InstaViewError):
    """No HTTP answer reached the client: connection refused or dropped, or a timeout.

    Always raised ``from`` the underlying ``requests`` exception; ``status`` and ``code`` are
    ``None`` (harness.md: "status: null means no HTTP answer reached the client").
    """


class InvalidResponseError(InstaViewError):
    """The server answered, but not with the envelope of api.md (status kept, code None)."""


ERROR_CLASSES: dict[str, type[InstaViewError]] = {
    "INVALID_API_KEY": AuthenticationError,
    "API_KEY_SUSPENDED": AuthenticationError,
    "INSUFFICIENT_PERMISSIONS": PermissionDeniedError,
    "RESOURCE_ACCESS_DENIED": PermissionDeniedError,
    "RESOURCE_NOT_FOUND": NotFoundError,
    "ROUTE_NOT_FOUND": RouteError,
    "METHOD_NOT_ALLOWED": RouteError,
    "NOT_IMPLEMENTED": RouteError,
    "VALIDATION_ERROR": ValidationError,
    "PAYLOAD_TOO_LARGE": ValidationError,
    "UNSUPPORTED_MEDIA_TYPE": ValidationError,
    "INVALID_STATE": StateError,
    "INVALID_STATE_TRANSITION": StateError,
    "RATE_LIMIT_EXCEEDED": RateLimitError,
    "INTERNAL_ERROR": ServerError,
}

# Codes the table does not know (INJECTED_FAULT, or a code a newer server adds) are classed
# by their HTTP status, so that e.g. an injected 503 is still a ServerError.
_BY_STATUS: dict[int, type[InstaViewError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: RouteError,
    409: StateError,
    413: ValidationError,
    415: ValidationError,
    429: RateLimitError,
    501: RouteError,
}


def error_class(status: int | None, code: str | None) -> type[InstaViewError]:
    """The class for an error answer: by code first, then by status."""
    if code in ERROR_CLASSES:
        return ERROR_CLASSES[code]
    if status is None:
        return APIConnectionError
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return InstaViewError


def build_error(
    status: int | None,
    code: str | None,
    message: str,
    details: dict[str, Any] | None = None,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> InstaViewError:
    """The one place an answer's error becomes an exception."""
    cls = error_class(status, code)
    kwargs: dict[str, Any] = dict(status=status, code=code, details=details, request_id=request_id)
    if issubclass(cls, RateLimitError):
        return cls(message, retry_after=retry_after, **kwargs)
    return cls(message, **kwargs)
