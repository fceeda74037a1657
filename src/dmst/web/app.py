"""The web application: the ``/v1`` API, the page at ``/``, OpenAPI documents and ``/docs``.

:func:`create_app` builds the application for :class:`Settings`; ``dmst serve`` runs it under
uvicorn (through :func:`app_from_env` when there are several worker processes).

What every response gets, whatever route answers it:

* the headers ``Dmst-Version``, ``Dmst-Rulebook`` (id and version) and
  ``Dmst-Rulebook-Fingerprint``, as every result's stamp carries them;
* ``Cache-Control: no-store`` on the API and the page (case facts are never cached), a
  Content-Security-Policy that allows nothing from another origin, ``nosniff`` and no referrer;
* errors as data, in one shape (:class:`~dmst.web.models.ErrorBody`): 422 with dmst's own
  problems, 413 over the body limit, 415 for a Content-Type the route does not read, 401 without
  the token, 404/405, and 500 for a bug, with a reference to the server's log and never a
  traceback.

Nothing is stored: a request's facts live as long as the request. Request bodies are never
logged; an internal error is logged with its reference, its exception type and its stack, but
not its message (which could quote a fact).
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import traceback
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from dmst.engine._engine import Engine
from dmst.errors import DmstError
from dmst.facts.load import MAX_FILE_BYTES, CaseFile
from dmst.facts.model import Case, Scenario
from dmst.web.api import HTTPProblem, Service, build_router, error_status, problem
from dmst.web.openapi30 import to_openapi_30

__all__ = [
    "DEFAULT_MAX_BATCH_BYTES",
    "ENV_CORS_ORIGINS",
    "ENV_MAX_BATCH_BYTES",
    "ENV_MAX_BODY_BYTES",
    "ENV_TOKEN_FILE",
    "Settings",
    "app_from_env",
    "create_app",
    "read_token_file",
]

log = logging.getLogger("dmst.web")

#: A batch body larger than this is refused (413) unless the server is told otherwise.
DEFAULT_MAX_BATCH_BYTES = 32 << 20

# How `dmst serve` hands its settings to worker processes (never the token itself).
ENV_TOKEN_FILE = "DMST_WEB_TOKEN_FILE"
ENV_CORS_ORIGINS = "DMST_WEB_CORS_ORIGINS"
ENV_MAX_BODY_BYTES = "DMST_WEB_MAX_BODY_BYTES"
ENV_MAX_BATCH_BYTES = "DMST_WEB_MAX_BATCH_BYTES"

ASGIApp = Callable[[MutableMapping[str, Any], Callable[[], Awaitable[Any]],
                    Callable[[MutableMapping[str, Any]], Awaitable[None]]], Awaitable[None]]

_PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
             "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
# Swagger UI sets style attributes as it draws: its page alone allows inline styles.
_DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
             "img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'")


@dataclass(frozen=True)
class Settings:
    """How the service runs.

    ``token``: when set, every ``/v1`` route but ``/v1/health`` needs the header
    ``Authorization: Bearer <token>``. ``cors_origins``: origins allowed to call the API from a
    browser (none by default: CORS off). ``max_body_bytes`` and ``max_batch_bytes``: request
    body limits in bytes (413 over them). ``engine``: an engine to use (one is built otherwise).
    """

    token: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = MAX_FILE_BYTES
    max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES
    engine: Engine | None = field(default=None, compare=False)

    @classmethod
    def from_env(cls, env: MutableMapping[str, str] | None = None) -> Settings:
        """Settings from the ``DMST_WEB_*`` variables ``dmst serve`` sets for its workers.
        Raises :class:`ValueError` for a token file that cannot be read or a bad number."""
        env = os.environ if env is None else env
        token_file = env.get(ENV_TOKEN_FILE)
        origins = tuple(o.strip() for o in env.get(ENV_CORS_ORIGINS, "").split(",") if o.strip())
        return cls(
            token=read_token_file(token_file) if token_file else None,
            cors_origins=origins,
            max_body_bytes=_positive(env, ENV_MAX_BODY_BYTES, MAX_FILE_BYTES),
            max_batch_bytes=_positive(env, ENV_MAX_BATCH_BYTES, DEFAULT_MAX_BATCH_BYTES),
        )


def _positive(env: MutableMapping[str, str], name: str, default: int) -> int:
    text = env.get(name)
    if not text:
        return default
    if not text.isdigit() or int(text) <= 0:
        raise ValueError(f"{name} must be a whole number of bytes above 0, not {text!r}")
    return int(text)


def read_token_file(path: str | Path) -> str:
    """The bearer token in ``path`` (its first line, without surrounding white space).

    Raises :class:`ValueError` with a message saying what to do when the file cannot be read,
    is empty, or holds a token shorter than 16 characters.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{path}: no such token file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the token file ({exc.__class__.__name__})"
                         ) from None
    lines = text.strip().splitlines()
    token = lines[0].strip() if lines else ""
    if len(token) < 16:
        raise ValueError(
            f"{path}: the token file must hold a token of at least 16 characters on its first "
            "line (for example: python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return token


def app_from_env() -> FastAPI:
    """The application with :meth:`Settings.from_env` (the factory ``dmst serve`` gives
    uvicorn)."""
    return create_app(Settings.from_env())


def _version_text(engine: Engine) -> str:
    return engine.stamp.engine.get("dmst", "")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The web application for ``settings``: one engine, built now (about a second)."""
    settings = settings if settings is not None else Settings()
    engine = settings.engine if settings.engine is not None else Engine()
    service = Service(engine, settings.max_body_bytes, settings.max_batch_bytes)
    stamp = engine.stamp
    app = FastAPI(
        title="dmst",
        version=_version_text(engine),
        description=(
            "Mississippi law on domestic minor sex trafficking, as the Protected Innocence "
            "Challenge report card analyses it, as cited rules. Send the facts of a case and "
            "get the charges with their penalties, the collateral consequences, the defenses "
            "barred, the victim's protections, investigation tools and gaps, each with the "
            "verbatim sentence of the source; what the facts cannot decide and what to ask "
            f"next.\n\nRulebook {stamp.rulebook.get('id')} {stamp.rulebook.get('version')} "
            f"(fingerprint {stamp.rulebook.get('fingerprint')}). {stamp.notice}\n\n"
            "Every response carries the headers Dmst-Version, Dmst-Rulebook and "
            "Dmst-Rulebook-Fingerprint. Errors share one body: {\"error\": {type, message, "
            "file, line, field, problems}}. This document is OpenAPI 3.1; /openapi-3.0.json "
            "is the same API as OpenAPI 3.0."
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        separate_input_output_schemas=False,
    )
    app.include_router(build_router(service, auth=settings.token is not None), prefix="/v1")
    _add_openapi(app, settings)
    _add_page(app)
    _add_error_handlers(app)
    if settings.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Dmst-Version", "Dmst-Rulebook", "Dmst-Rulebook-Fingerprint"],
        )
    app.add_middleware(_Guard, engine=engine, token=settings.token)
    app.state.service = service
    return app


# --- OpenAPI --------------------------------------------------------------------------------


def _add_openapi(app: FastAPI, settings: Settings) -> None:
    cache: dict[str, dict[str, Any]] = {}

    def openapi() -> dict[str, Any]:
        if "3.1" not in cache:
            doc = get_openapi(title=app.title, version=app.version,
                              description=app.description, routes=app.routes,
                              separate_input_output_schemas=False)
            schemas = doc.setdefault("components", {}).setdefault("schemas", {})
            _, defs = models_json_schema(
                [(CaseFile, "validation"), (Scenario, "validation"), (Case, "validation")],
                ref_template="#/components/schemas/{model}",
            )
            for name, schema in defs.get("$defs", {}).items():
                if name in schemas and schemas[name] != schema:
                    raise RuntimeError(f"two schemas named {name!r} in the OpenAPI document")
                schemas[name] = schema
            if settings.token is not None:
                doc["components"]["securitySchemes"] = {
                    "bearer": {"type": "http", "scheme": "bearer",
                               "description": "The token of the server's --token-file."}}
                for path, item in doc["paths"].items():
                    if path.startswith("/v1/") and path != "/v1/health":
                        for op in item.values():
                            op["security"] = [{"bearer": []}]
            cache["3.1"] = doc
            cache["3.0"] = to_openapi_30(doc)
        return cache["3.1"]

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/openapi-3.0.json", include_in_schema=False)
    async def openapi_30() -> Response:
        openapi()
        return Response(json.dumps(cache["3.0"], ensure_ascii=False),
                        media_type="application/json")


# --- the page and the API docs ----------------------------------------------------------------


def _static(name: str) -> bytes:
    return resources.files("dmst.web").joinpath("static", name).read_bytes()


def _add_page(app: FastAPI) -> None:
    page = _static("index.html")
    docs = _static("docs.html")

    @app.get("/", include_in_schema=False)
    async def index() -> Response:
        return Response(page, media_type="text/html; charset=utf-8")

    @app.get("/docs", include_in_schema=False)
    async def api_docs() -> Response:
        return Response(docs, media_type="text/html; charset=utf-8")

    app.mount("/static", StaticFiles(packages=[("dmst.web", "static")]), name="static")
    import swagger_ui_bundle

    app.mount("/docs-assets", StaticFiles(directory=str(swagger_ui_bundle.swagger_ui_path)),
              name="docs-assets")


# --- errors ---------------------------------------------------------------------------------


def _error_response(status: int, error: dict[str, Any],
                    headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def _add_error_handlers(app: FastAPI) -> None:
    async def dmst_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DmstError)
        status = error_status(exc)
        if status == 500:
            return _internal(request.scope, exc)
        return _error_response(status, exc.to_dict())

    async def http_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPProblem)
        return _error_response(exc.status, exc.error, exc.headers)

    async def bad_parameters(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ())]
            problems.append({"message": str(err.get("msg", "is not valid")),
                             "field": ".".join(loc) or None})
        return _error_response(422, problem(
            "InputError", "the request's parameters are not valid; see /docs", problems=problems))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        kinds = {404: ("NotFound", "no such page or route; the API is under /v1/ (see /docs)"),
                 405: ("MethodNotAllowed", "this route does not take this method (see /docs)")}
        kind, message = kinds.get(exc.status_code, ("HTTPError", str(exc.detail)))
        return _error_response(exc.status_code, problem(kind, message), exc.headers)

    app.add_exception_handler(DmstError, dmst_error)
    app.add_exception_handler(HTTPProblem, http_problem)
    app.add_exception_handler(RequestValidationError, bad_parameters)
    app.add_exception_handler(StarletteHTTPException, http_error)


def _internal(scope: MutableMapping[str, Any], exc: BaseException) -> JSONResponse:
    """A 500 naming a reference; the log gets the reference, the type and the stack, not the
    exception's message (it may quote the facts of the case)."""
    reference = secrets.token_hex(6)
    stack = "".join(traceback.format_tb(exc.__traceback__))
    log.error("internal error %s on %s %s: %s\n%s", reference, scope.get("method"),
              scope.get("path"), type(exc).__name__, stack)
    return _error_response(500, problem(
        "InternalError",
        f"internal error (reference {reference}): this is a bug in dmst, not a problem with "
        "the case; the server's log has the details under this reference"))


class _Guard:
    """Outermost middleware: the token, the version and security headers on every response,
    and a 500 without traceback for any exception that escapes a route."""

    def __init__(self, app: ASGIApp, engine: Engine, token: str | None) -> None:
        self.app = app
        stamp = engine.stamp
        self.common = [
            (b"dmst-version", stamp.engine.get("dmst", "").encode()),
            (b"dmst-rulebook",
             f"{stamp.rulebook.get('id', '')} {stamp.rulebook.get('version', '')}".encode()),
            (b"dmst-rulebook-fingerprint", stamp.rulebook.get("fingerprint", "").encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
        ]
        self.token = f"Bearer {token}".encode() if token else None

    async def __call__(self, scope: MutableMapping[str, Any], receive: Callable[[], Awaitable[Any]],
                       send: Callable[[MutableMapping[str, Any]], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        extra = list(self.common)
        extra.append((b"content-security-policy",
                      (_DOCS_CSP if path == "/docs" else _PAGE_CSP).encode()))
        no_store = path.startswith("/v1/") or path in ("/", "/docs")
        started = False

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                if no_store and not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers + extra
            await send(message)

        if self.token is not None and path.startswith("/v1/") and path != "/v1/health" \
                and scope.get("method") != "OPTIONS":
            given = dict(scope.get("headers", [])).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.token):
                response = _error_response(401, problem(
                    "Unauthorized",
                    "this server needs a token: send the header 'Authorization: Bearer TOKEN'"),
                    {"WWW-Authenticate": "Bearer"})
                await response(scope, receive, send_with_headers)
                return
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            if started:  # a streamed response broke off: it ends unfinished, and is logged
                _internal(scope, exc)
                return
            await _internal(scope, exc)(scope, receive, send_with_headers)
