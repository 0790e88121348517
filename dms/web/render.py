"""Rendering pages: the template context every page shares, and links to the things dms knows."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import Request


def node_url(node: str) -> str:
    """The page of a graph node: a document, a change request, a product, else its trace."""
    family, _, name = node.partition(":")
    if family == "doc":
        return f"/documents/{quote(name)}"
    if family == "change_request":
        return f"/changes/{quote(name)}"
    if family == "product":
        return f"/products/{quote(name)}"
    return "/trace?" + urlencode({"ref": name})


def query_url(path: str, params: dict, **changes) -> str:
    """path?params with some parameters changed (None drops one); for facets, sorting and paging."""
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    return path + ("?" + urlencode(merged) if merged else "")


def render(request: Request, template: str, /, status: int = 200, **context):
    templates = request.app.state.web.templates
    who = getattr(request.state, "caller", None)
    return templates.TemplateResponse(request, template, {"caller": who, "csrf": who.csrf if who else "", **context},
                                      status_code=status)


def install_helpers(templates) -> None:
    templates.env.globals.update(node_url=node_url, query_url=query_url)
