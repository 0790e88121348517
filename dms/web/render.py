"""Rendering pages: the template context every page shares, and links to the things dms knows."""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import quote, urlencode

from fastapi import Request
from jinja2 import pass_context

from dms.graph import BEHIND_NOTE, linktypes
from dms.titles import heading_of


def node_url(node: str, change_families: Collection[str] = ()) -> str:
    """The page of a graph node: a document, a change request (a node of one of the rules' change families),
    a product, else its trace."""
    family, _, name = node.partition(":")
    if family == "doc":
        return f"/documents/{quote(name)}"
    if family in change_families:
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
    note = BEHIND_NOTE.get()  # marked by graph_for while another process held the write lock (dms.graph)
    shared = {"caller": who, "csrf": who.csrf if who else "", "links_behind": bool(note and note.get("behind"))}
    return templates.TemplateResponse(request, template, {**shared, **context}, status_code=status)


@pass_context
def _node_url(context, node: str) -> str:
    """node_url in templates: the change families come from the rules of the archive serving the request."""
    request = context.get("request")
    return node_url(node, request.app.state.web.dms().rules.change_families if request is not None else ())


def install_helpers(templates) -> None:
    templates.env.globals.update(node_url=_node_url, query_url=query_url, doc_heading=heading_of,
                                 default_link_type=linktypes.RELATES_TO)  # preselected in the link forms
    from dms.changes.costs import TEMPLATE_GLOBALS  # cost_label, cost_text: one unit on form, page and report

    templates.env.globals.update(TEMPLATE_GLOBALS)
