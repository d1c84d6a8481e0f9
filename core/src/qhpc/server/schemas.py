"""Request and response bodies of the v1 API (Pydantic models; they make the OpenAPI description).

Requests are strict: unknown fields, and values of the wrong JSON type (``"10"`` for a number,
``1.5`` for a whole number, ``NaN``), are refused with 422 naming the field.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_SEED = 2**63 - 1
Finite = Annotated[float, Field(allow_inf_nan=False)]
MAX_OPTION_DEPTH = 8


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _check_json(value: Any, depth: int = 0) -> None:
    if depth > MAX_OPTION_DEPTH:
        raise ValueError(f"nested deeper than {MAX_OPTION_DEPTH} levels")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite")
    if isinstance(value, dict):
        for item in value.values():
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)


class JobRequest(_Strict):
    """One job: a program and how to run it."""

    program: str = Field(min_length=1, description="The program: OpenQASM 2 or 3 text, or qhpc's JSON wire format "
                                                   "(qhpc convert FILE --to qhpc.json), or any text format the "
                                                   "server's plugins read")
    format: str | None = Field(None, min_length=1, max_length=64,
                               description="The program's format (qasm2, qasm3, qhpc.json...); detected if absent")
    backend: str = Field("auto", min_length=1, max_length=200,
                         description="A backend name (GET /v1/backends), or auto: the cheapest emulator that fits")
    shots: int = Field(1024, ge=1, le=100_000_000)
    seed: int | None = Field(None, ge=0, le=MAX_SEED)
    memory: bool = Field(False, description="Also return each shot's bitstring")
    parameters: dict[Annotated[str, Field(max_length=200)], Finite] = Field(
        default_factory=dict, max_length=10_000, description="Values of the program's symbolic parameters")
    options: dict[Annotated[str, Field(max_length=200)], Any] = Field(
        default_factory=dict, max_length=100,
        description='Backend options; for a remote backend {"fallback": "aer.statevector"} runs on that emulator '
                    "when the peer stays unreachable")
    session: str | None = Field(None, min_length=1, max_length=64, description="Run in this session (in order)")
    time_limit: float | None = Field(None, gt=0, le=30 * 86400, allow_inf_nan=False,
                                     description="Seconds the run may take before it is stopped (FAILED)")
    idempotency_key: str | None = Field(None, min_length=1, max_length=200,
                                        description="A key of your choice: resubmitting with the same key returns "
                                                    "the job it created instead of a second one")

    @field_validator("options")
    @classmethod
    def _plain_options(cls, value: dict[str, Any]) -> dict[str, Any]:
        _check_json(value)
        return value


class BatchRequest(_Strict):
    jobs: list[JobRequest] = Field(min_length=1, max_length=10_000)


class SessionRequest(_Strict):
    backend: str = Field(min_length=1, max_length=200)
    idle_timeout: float | None = Field(None, gt=0, allow_inf_nan=False,
                                       description="Seconds without jobs before the session ends (at most the site's)")
    max_lifetime: float | None = Field(None, gt=0, allow_inf_nan=False,
                                       description="Seconds the session may last (at most the site's)")


class JobInfo(BaseModel):
    id: str
    status: str = Field(description="QUEUED, RUNNING, DONE, FAILED or CANCELLED")
    substate: str | None = Field(None, description="While RUNNING: compiling, waiting (for the backend) or executing")
    backend: str
    requested_backend: str
    device: str
    session_id: str | None = None
    num_qubits: int
    shots: int
    seed: int | None = None
    memory: bool
    attempt: int
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    has_result: bool
    replayed: bool | None = Field(None, description="On submission: true if the idempotency key named an existing job")


class JobList(BaseModel):
    jobs: list[JobInfo]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page; null on the last")


class BatchAnswer(BaseModel):
    jobs: list[JobInfo]


class Event(BaseModel):
    time: float
    kind: str
    status: str
    attempt: int
    stage: str | None = None
    seconds: float | None = None
    detail: str | None = None


class EventList(BaseModel):
    job_id: str
    events: list[Event]


class ResultAnswer(BaseModel):
    job_id: str
    digest: str = Field(description="sha256: and the SHA-256 of the result's canonical JSON (keys sorted, no spaces)")
    result: dict[str, Any]


class SessionInfo(BaseModel):
    id: str
    backend: str
    status: str
    created_at: float
    last_used_at: float
    idle_timeout: float
    max_lifetime: float
    closed_at: float | None = None
    reason: str | None = None
    jobs: int


class BackendHealth(BaseModel):
    available: bool
    detail: str | None = None


class BackendInfo(BaseModel):
    name: str
    kind: str
    description: str
    health: BackendHealth
    queue_length: int
    capabilities: dict[str, Any] | None = None
    calibration: dict[str, Any] | None = Field(None, description="Name, time and digest of its calibration snapshot")


class BackendList(BaseModel):
    backends: list[BackendInfo]


class ErrorAnswer(BaseModel):
    error: str
    detail: Any = None
