"""Reference Python client of the InstaView API."""

from .client import CallInfo, InstaViewClient
from .errors import (
    APIConnectionError,
    AuthenticationError,
    InstaViewError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RouteError,
    ServerError,
    StateError,
    ValidationError,
)
from .retry import RetryPolicy

__all__ = [
    "APIConnectionError",
    "AuthenticationError",
    "CallInfo",
    "InstaViewClient",
    "InstaViewError",
    "InvalidResponseError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RetryPolicy",
    "RouteError",
    "ServerError",
    "StateError",
    "ValidationError",
]
