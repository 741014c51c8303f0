"""API errors as Kubernetes `Status` objects (what kubectl turns into `Error from server (Reason): ...`)."""
from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


class ApiError(Exception):
    """A request the API refuses: HTTP `code`, Kubernetes `reason` (NotFound, Invalid, ...) and a message."""

    def __init__(self, code: int, reason: str, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details or {}

    def status(self) -> dict[str, Any]:
        """The Kubernetes Status document of this error."""
        body: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Status",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body

    def response(self) -> JSONResponse:
        return JSONResponse(self.status(), status_code=self.code)


def not_found(resource: str, name: str) -> ApiError:
    """`clusterstagedupdateruns.placement.kubernetes-fleet.io "x" not found` (resource = plural.group)."""
    return ApiError(404, "NotFound", f'{resource} "{name}" not found', details={"name": name})


def already_exists(resource: str, name: str) -> ApiError:
    return ApiError(409, "AlreadyExists", f'{resource} "{name}" already exists', details={"name": name})


def invalid(kind_group: str, name: str, message: str, *, field: str = "") -> ApiError:
    """`ClusterStagedUpdateRun.placement.kubernetes-fleet.io "x" is invalid: spec.state: ...`."""
    where = f"{field}: " if field else ""
    return ApiError(422, "Invalid", f'{kind_group} "{name}" is invalid: {where}{message}',
                    details={"name": name, "causes": [{"field": field, "message": message}] if field else []})


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def method_not_allowed(message: str) -> ApiError:
    return ApiError(405, "MethodNotAllowed", message)


def timeout(message: str) -> ApiError:
    return ApiError(504, "Timeout", message)


def unavailable(message: str) -> ApiError:
    return ApiError(503, "ServiceUnavailable", message)
