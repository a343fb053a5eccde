"""Errors of the service layer (the domain's own errors live in domain.errors)."""

from __future__ import annotations

ANY_VERSION = -1  # If-Match: * (any version, as long as it exists)


class ServiceError(Exception):
    """A request was refused by the service, not by a business rule."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class VersionMismatchError(ServiceError):
    """If-Match named a version the stream is no longer at."""

    def __init__(self, expected: int, actual: int) -> None:
        found = f"it is at version {actual}" if actual else "it does not exist"
        wanted = "an existing resource" if expected == ANY_VERSION else f"version {expected}"
        super().__init__(f"If-Match expected {wanted}, but {found}; reload and try again")
        self.expected = expected
        self.actual = actual


class IdempotencyKeyReusedError(ServiceError):
    """An Idempotency-Key came back with a different request."""


class CommandTimeoutError(ServiceError):
    """The event store did not answer in time."""


class ConcurrencyExhaustedError(ServiceError):
    """A command lost the race for its stream too many times."""


class ShuttingDownError(ServiceError):
    """The service is stopping and takes no more commands."""


class ProjectionBehindError(ServiceError):
    """A read model has not yet reached the position a read asked for."""


class UnauthenticatedError(ServiceError):
    """No bearer token, or one that is not acceptable (expired, wrong key, bad claims)."""


class ForbiddenError(ServiceError):
    """The token is valid but its role does not allow this."""


class PositionNotInLogError(ServiceError):
    """A read asked for a log position that no event has yet."""
