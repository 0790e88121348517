"""Retrospectives: figures from report tables, and what each change did to returns and complaints."""

from dms.retro.metrics import for_product, refresh
from dms.retro.report import render, retro_data

__all__ = ["for_product", "refresh", "render", "retro_data"]
