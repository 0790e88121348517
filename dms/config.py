"""Settings, read once from `DMS_*` environment variables (or passed in explicitly).

No other module reads the environment: they take a `Settings`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from dms.errors import ConfigError

DEFAULT_HOME = Path("~/.local/share/dms")


def _positive(cast: type, what: str) -> Callable[[str, str], object]:
    def parse(name: str, raw: str):
        try:
            value = cast(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not {what}") from None
        if value <= 0:
            raise ConfigError(f"{name}={raw!r} must be greater than 0")
        return value

    return parse


_positive_float = _positive(float, "a number")


ENGINES = ("whoosh", "tantivy")


def _engine(name: str, raw: str) -> str:
    value = raw.strip().lower()
    if value not in ENGINES:
        raise ConfigError(f"{name}={raw!r}: the search engines are {', '.join(ENGINES)}")
    return value


def _prefix(name: str, raw: str) -> str:
    import re

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,19}", raw.strip()):
        raise ConfigError(f"{name}={raw!r} must be 1-20 letters, digits, dots, dashes or underscores")
    return raw.strip()


def _languages(name: str, raw: str) -> str:
    import re

    value = raw.strip()
    if not re.fullmatch(r"[A-Za-z_]{3,20}(\+[A-Za-z_]{3,20})*", value):
        raise ConfigError(f"{name}={raw!r} must be Tesseract language codes joined with + (e.g. eng+deu)")
    return value


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r} is not a yes/no value (1, true, yes, on / 0, false, no, off)")
_positive_int = _positive(int, "a whole number")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable. `home` holds catalog.sqlite, store/ and index/."""

    home: Path
    workers: int = max(1, min(os.cpu_count() or 1, 4))
    extract_timeout: float = 60.0  # seconds one file may take in a worker
    max_file_mb: float = 256.0  # larger files are stored but not extracted
    worker_memory_mb: int = 2048  # address-space cap of an extraction worker
    commit_every: int = 500  # documents per index commit during ingest
    user: str = "unknown"  # who acts, recorded with what they change
    smtp_host: str | None = None  # notices go over SMTP when set, else to $DMS_HOME/outbox
    smtp_port: int = 25
    upload_max_mb: float = 100.0  # one web upload request, all its files together
    session_hours: float = 12.0  # a web sign-in lasts this long
    secure_cookies: bool = False  # set the Secure flag on cookies (when served over HTTPS)
    search_engine: str = "whoosh"  # or "tantivy" (pip install 'dms[tantivy]'); switch with `dms reindex`
    bates_prefix: str = "DMS"  # control numbers in dispute bundles: DMS-000001, …
    sign_in_attempts: int = 5  # failed sign-ins per name or client within 15 minutes before a lockout
    ocr: bool = True  # OCR scanned pages during ingest; when off they wait, marked "needs OCR", for `dms ocr`
    ocr_languages: str = "eng"  # Tesseract language packs, joined with + (e.g. eng+deu: apt install tesseract-ocr-deu)
    ocr_page_timeout: float = 120.0  # seconds Tesseract may spend on one page
    ocr_max_megapixels: float = 60.0  # larger page images are refused (PDF pages are rendered smaller to fit)
    tesseract: str = "tesseract"  # the Tesseract program, found on PATH unless a path is given

    @property
    def catalog_path(self) -> Path:
        return self.home / "catalog.sqlite"

    @property
    def store_dir(self) -> Path:
        return self.home / "store"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def rules_path(self) -> Path:
        return self.home / "rules.toml"

    def with_home(self, home: Path | str) -> Settings:
        return replace(self, home=Path(home).expanduser().absolute())


_VARS: dict[str, tuple[str, Callable[[str, str], object]]] = {
    "DMS_WORKERS": ("workers", _positive_int),
    "DMS_EXTRACT_TIMEOUT": ("extract_timeout", _positive_float),
    "DMS_MAX_FILE_MB": ("max_file_mb", _positive_float),
    "DMS_WORKER_MEMORY_MB": ("worker_memory_mb", _positive_int),
    "DMS_COMMIT_EVERY": ("commit_every", _positive_int),
    "DMS_SMTP_HOST": ("smtp_host", lambda name, raw: raw.strip()),
    "DMS_SMTP_PORT": ("smtp_port", _positive_int),
    "DMS_UPLOAD_MAX_MB": ("upload_max_mb", _positive_float),
    "DMS_SESSION_HOURS": ("session_hours", _positive_float),
    "DMS_SECURE_COOKIES": ("secure_cookies", _flag),
    "DMS_SIGN_IN_ATTEMPTS": ("sign_in_attempts", _positive_int),
    "DMS_BATES_PREFIX": ("bates_prefix", lambda name, raw: _prefix(name, raw)),
    "DMS_SEARCH_ENGINE": ("search_engine", lambda name, raw: _engine(name, raw)),
    "DMS_OCR": ("ocr", _flag),
    "DMS_OCR_LANGUAGES": ("ocr_languages", lambda name, raw: _languages(name, raw)),
    "DMS_OCR_PAGE_TIMEOUT": ("ocr_page_timeout", _positive_float),
    "DMS_OCR_MAX_MEGAPIXELS": ("ocr_max_megapixels", _positive_float),
    "DMS_TESSERACT": ("tesseract", lambda name, raw: raw.strip()),
}


def load_settings(environ: Mapping[str, str] | None = None, home: Path | str | None = None) -> Settings:
    """Read settings once. `home` (e.g. from --home) wins over DMS_HOME."""
    env = os.environ if environ is None else environ
    home_path = Path(home or env.get("DMS_HOME") or DEFAULT_HOME).expanduser().absolute()
    values: dict[str, object] = {"user": env.get("DMS_USER") or env.get("USER") or "unknown"}
    for var, (field, cast) in _VARS.items():
        raw = env.get(var)
        if raw not in (None, ""):
            values[field] = cast(var, raw)
    return Settings(home=home_path, **values)
