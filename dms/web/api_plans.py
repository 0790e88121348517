"""The JSON API of plans, plan checks and follow-ups (issue 16), under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
