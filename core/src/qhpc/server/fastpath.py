"""A short way through for the busiest request, ``POST /v1/jobs`` (an ASGI middleware).

FastAPI's way through a request (routing, solving the endpoint's dependencies, validating the
header and body parameters one by one, the response model) cost more CPU than admitting and
storing the job. A well-formed submission is answered here instead, with the same steps and the
same code: the body is read whole (inside the size limit), parsed as JSON and validated by the
same :class:`~.schemas.JobRequest` model, the token is checked by the same guard (lock-outs,
failure metrics), the job is admitted and committed (durably) by the same functions as the
route's, and the answer is the :class:`~.schemas.JobInfo` model's JSON, as the route sends it.

Whatever this does not handle is passed, body included, to the FastAPI route unchanged, which
answers it exactly as before: a body that is not JSON or does not validate, a content type other
than ``application/json``, a missing or non-Bearer ``Authorization`` header, an unusual
``Idempotency-Key`` header. Nothing is decided twice: the fast path decides nothing (checks no
token) before it knows it will answer.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter, ValidationError
from starlette.responses import JSONResponse, Response

from .errors import ApiError, error_body
from .routes_jobs import accept
from .schemas import JobInfo, JobRequest

Scope = dict[str, Any]

#: The route's answer, as FastAPI builds it from ``response_model=JobInfo``.
_JOB_INFO: TypeAdapter[JobInfo] = TypeAdapter(JobInfo)
#: Longest Idempotency-Key header the route accepts (its ``Header(max_length=...)``).
MAX_KEY_HEADER = 200


class SubmitFastPath:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != "/v1/jobs":
            await self.app(scope, receive, send)
            return
        authorization = key = content_type = None
        seen = 0
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization, seen = value, seen + 1
            elif name == b"idempotency-key":
                key, seen = value, seen + 100
            elif name == b"content-type":
                content_type, seen = value, seen + 10_000
        # the body, whole (the size limit around this refuses what is too large)
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left (or the size limit answered 413)
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        request = self._request(authorization, key, content_type, seen, body)
        if request is None:
            await self.app(scope, _replay(body, receive), send)
            return
        token, job, idempotency_key = request
        svc = scope["app"].state.service
        client = scope.get("client")
        try:
            try:
                user = svc.guard.authenticate(token, client[0] if client else "unknown")
            except ApiError:
                svc.metrics.auth_failures.inc()
                raise
            info, status = await accept(svc, user, job, idempotency_key)
        except ApiError as exc:
            await JSONResponse(error_body(exc.message), status_code=exc.status, headers=exc.headers)(scope, receive, send)
            return
        answer = _JOB_INFO.dump_json(_JOB_INFO.validate_python(info))
        await Response(answer, status_code=status, media_type="application/json")(scope, receive, send)

    @staticmethod
    def _request(authorization: bytes | None, key: bytes | None, content_type: bytes | None, seen: int,
                 body: bytes) -> tuple[str, JobRequest, str | None] | None:
        """(token, request, Idempotency-Key header) of a submission this path answers, else ``None``."""
        if seen != 10_001 and seen != 10_101:  # each header once; Authorization and Content-Type present
            return None
        if content_type is None or content_type.lower() != b"application/json" or authorization is None:
            return None
        scheme, _, credentials = authorization.decode("latin-1").partition(" ")
        token = credentials.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        header = None
        if key is not None:
            header = key.decode("latin-1")
            if len(header) > MAX_KEY_HEADER:
                return None
        try:
            job = JobRequest.model_validate(json.loads(body))
        except (ValueError, ValidationError, RecursionError):  # not JSON, not a valid request, too deep:
            return None                                            # the route says why
        return token, job, header


def _replay(body: bytes, receive: Any) -> Any:
    """A receive that gives the application the body already read, then what the client sends."""
    sent = False

    async def replay() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
