"""The web UI and JSON API: `create_app(settings)` gives the ASGI application (`dms serve` runs it)."""

from dms.web.app import create_app

__all__ = ["create_app"]
