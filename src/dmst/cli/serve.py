"""``dmst serve``: the JSON API and the web page, under uvicorn."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import typer

from dmst.cli._common import app, fail

_LOOPBACK_NAMES = {"localhost"}


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; loopback by "
                             "default (use 0.0.0.0 behind a reverse proxy or in a container)."),
    port: int = typer.Option(8000, "--port", "-p", min=0, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, max=64,
                                help="Worker processes, each with its own engine."),
    token_file: Path = typer.Option(None, "--token-file", help="A file holding a bearer token "
                                    "(16 characters or more) every /v1 request but /v1/health "
                                    "must send as 'Authorization: Bearer TOKEN'."),
    cors_origin: list[str] = typer.Option([], "--cors-origin", help="An origin allowed to call "
                                          "the API from a browser (repeat for several); CORS "
                                          "is off without one."),
    root_path: str = typer.Option("", "--root-path", help="The path prefix a reverse proxy "
                                  "serves dmst under (e.g. /dmst)."),
    max_body_bytes: int = typer.Option(None, "--max-body-bytes", min=1, help="Largest request "
                                       "body (413 over it); by default 1,000,000."),
    max_batch_bytes: int = typer.Option(None, "--max-batch-bytes", min=1, help="Largest "
                                        "/v1/batch body; by default 33,554,432 (32 MiB)."),
    access_log: bool = typer.Option(True, "--access-log/--no-access-log", help="Log one line "
                                    "a request (method, path, status; never a body)."),
    forwarded_allow_ips: str = typer.Option("127.0.0.1", "--forwarded-allow-ips",
                                            help="Proxies whose X-Forwarded-* headers are "
                                            "trusted."),
) -> None:
    """Serve the JSON API under /v1/ and the web page at / (needs dmst[serve])."""
    try:
        import uvicorn

        import dmst.web.app as web
    except ImportError as exc:
        fail(f"the web service needs the serve extra ({exc.name} is missing): "
             "pip install 'dmst[serve]'")
        return
    env = {
        web.ENV_TOKEN_FILE: str(token_file.resolve()) if token_file else "",
        web.ENV_CORS_ORIGINS: ",".join(cors_origin),
        web.ENV_MAX_BODY_BYTES: str(max_body_bytes or ""),
        web.ENV_MAX_BATCH_BYTES: str(max_batch_bytes or ""),
    }
    try:  # fail here, once, rather than in every worker
        web.Settings.from_env(env)
    except ValueError as exc:
        fail(str(exc))
    if not token_file and not _is_loopback(host):
        typer.echo(f"dmst: warning: serving on {host} without --token-file: anyone who can "
                   "reach this address can use the API", err=True)
    os.environ.update(env)  # worker processes read their settings from here
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"dmst: the page and the API at http://{shown}:{port}{root_path}/ "
               "(API documentation at /docs); Ctrl-C stops", err=True)
    uvicorn.run(
        "dmst.web.app:app_from_env", factory=True, host=host, port=port, workers=workers,
        root_path=root_path, access_log=access_log, proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips, server_header=False, log_level="info",
    )
