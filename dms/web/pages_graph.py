"""Trace, the interactive graph, the path between two things, and a product's page."""

from __future__ import annotations

import functools
import os
import tempfile
from collections import defaultdict

from fastapi import APIRouter, Request
from fastapi.responses import Response

from dms.errors import UsageError
from dms.graph import graph_for, node_for, trace
from dms.graph.explore import paths, timeline
from dms.graph.export import write
from dms.graph.trace import label
from dms.web.graphview import elements
from dms.web.pages_products import plans_of
from dms.web.render import render
from dms.web.security import Caller, caller

router = APIRouter(include_in_schema=False)


def bounded(name: str, value: int, low: int, high: int) -> int:
    """A numeric parameter within its range, or a clear 400."""
    if not low <= value <= high:
        raise UsageError(f"{name} must be between {low} and {high}")
    return value


@router.get("/trace")
def trace_page(request: Request, ref: str = "", depth: int = 2, page: int = 1, limit: int = 50, as_of: str = "",
               who: Caller = caller()):
    from dms.asof import trace_as_of

    result, name_of = None, str
    if ref.strip():
        archive = request.app.state.web.dms()
        g = graph_for(archive)
        bounded("depth", depth, 1, 4)
        bounded("limit", limit, 1, 500)
        root, offset = node_for(archive, g, ref), (max(page, 1) - 1) * limit
        result = (trace_as_of(archive, g, root, as_of, depth, limit, offset) if as_of
                  else trace(g, root, depth=depth, limit=limit, offset=offset))
        name_of = functools.partial(label, g)
    return render(request, "trace.html", ref=ref, depth=depth, page=page, limit=limit, result=result, label=name_of,
                  as_of=as_of)


@router.get("/graph")
def graph_page(request: Request, ref: str = "", radius: int = 1, who: Caller = caller()):
    view, root = None, None
    if ref.strip():
        archive = request.app.state.web.dms()
        g = graph_for(archive)
        root = node_for(archive, g, ref)
        view = elements(g, root, radius=bounded("radius", radius, 1, 3))
    return render(request, "graph.html", ref=ref, radius=radius, graph=view, root=root)


@router.get("/graph/export")
def graph_export(request: Request, ref: str = "", radius: int = 1, format: str = "graphml", who: Caller = caller()):
    """The neighbourhood of ref (or the whole graph) as GraphML or node-link JSON, as a download."""
    if format not in ("graphml", "json"):
        raise UsageError("format is graphml or json")
    archive = request.app.state.web.dms()
    g = graph_for(archive)
    root = node_for(archive, g, ref) if ref.strip() else None
    fd, tmp = tempfile.mkstemp(suffix="." + format)
    os.close(fd)
    try:
        write(g, root, bounded("radius", radius, 1, 5), format, tmp)
        with open(tmp, "rb") as fh:
            body = fh.read()
    finally:
        os.unlink(tmp)
    name = "dms-graph" + ("-" + "".join(ch if ch.isalnum() else "-" for ch in root) if root else "") + "." + format
    media = "application/graphml+xml" if format == "graphml" else "application/json"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/path")
def path_page(request: Request, a: str = "", b: str = "", who: Caller = caller()):
    result = None
    if a.strip() and b.strip():
        archive = request.app.state.web.dms()
        g = graph_for(archive)
        result = paths(g, node_for(archive, g, a), node_for(archive, g, b))
    return render(request, "path.html", a=a, b=b, result=result)


@router.get("/products/{code}")
def product_page(request: Request, code: str, who: Caller = caller()):
    archive = request.app.state.web.dms()
    g = graph_for(archive)
    node = node_for(archive, g, code)
    if not node.startswith("product:"):
        raise UsageError(f"{code} is not a product code")
    events = timeline(g, node)
    by_type = defaultdict(list)
    for e in events["events"]:
        by_type[e["type"] or "other"].append(e)
    from dms import changes
    from dms.retro import retro_data

    code = node.split(":", 1)[1]
    return render(request, "product.html", code=code, node=node, events=events, by_type=dict(sorted(by_type.items())),
                  requests=changes.listing(archive, product=code), retro=retro_data(archive, code),
                  plans=plans_of(archive, code))
