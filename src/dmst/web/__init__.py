"""dmst over HTTP: a JSON API under ``/v1/`` and a web page at ``/``.

Install with ``pip install 'dmst[serve]'`` and run with ``dmst serve``; from Python,
:func:`create_app` gives the ASGI application for any ASGI server::

    from dmst.web import Settings, create_app
    app = create_app(Settings(token="a-long-random-token"))
"""

from __future__ import annotations

from dmst.web.app import Settings, create_app

__all__ = ["Settings", "create_app"]
