"""Plans in the browser (issue 16): the plan page with its timeline, findings and tables."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
