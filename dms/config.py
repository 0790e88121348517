"""Settings, read once from `DMS_*` environment variables (or passed in explicitly).

No other module reads the environment: they take a `Settings`.
"""

from __future__ import annotations

import math
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
        if not math.isfinite(value):  # nan would disable a bound, inf overflow the clock
            raise ConfigError(f"{name}={raw!r} must be a finite number")
        if value <= 0:
            raise ConfigError(f"{name}={raw!r} must be greater than 0")
        return value

    return parse


_positive_float = _positive(float, "a number")


def _fraction(name: str, raw: str) -> float:
    value = _positive_float(name, raw)
    if value > 1:
        raise ConfigError(f"{name}={raw!r} must be at most 1")
    return value


def _engine(name: str, raw: str) -> str:
    """A search engine's name from the one registry (dms.index.engines; imported here, not at the top, because
    importing the dms.index package reads these settings)."""
    from dms.index.engines import engine

    return engine(raw, setting=name).name


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


def _at_most(top: int, value: int, name: str) -> int:
    if value > top:
        raise ConfigError(f"{name}={value} is more than {top}")
    return value


def _networks(name: str, raw: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or networks (10.0.0.0/8); a name or `*` is refused, trust is explicit."""
    import ipaddress

    out = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            out.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ConfigError(f"{name}={raw!r}: {item!r} is not an IP address or network (e.g. 127.0.0.1, "
                              "10.0.0.0/8)") from None
    return tuple(out)


def _database_url(name: str, raw: str) -> str | None:
    url = raw.strip()
    if not url:
        return None
    scheme = url.split(":", 1)[0].lower()
    if scheme.split("+", 1)[0] not in ("postgresql", "postgres") or "://" not in url:
        raise ConfigError(f"{name} must be a PostgreSQL URL (postgresql://user:password@host:port/database), "
                          f"got {url.split('://', 1)[0]!r}; unset it to keep the catalog in $DMS_HOME/catalog.sqlite")
    return url


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable. `home` holds catalog.sqlite, store/ and index/."""

    home: Path
    workers: int = max(1, min(os.cpu_count() or 1, 4))
    extract_timeout: float = 60.0  # seconds one file may take in a worker
    max_file_mb: float = 256.0  # larger files are stored but not extracted
    max_text_mb: float = 20.0  # extracted text kept per document, in millions of characters; the rest is cut
    worker_memory_mb: int = 2048  # address-space cap of an extraction worker
    commit_every: int = 500  # documents per index commit during ingest
    user: str = "unknown"  # who acts, recorded with what they change
    smtp_host: str | None = None  # notices go over SMTP when set, else to $DMS_HOME/outbox
    smtp_port: int = 25
    upload_max_mb: float = 100.0  # one web upload request, all its files together
    session_hours: float = 12.0  # a web sign-in lasts this long
    secure_cookies: bool = False  # set the Secure flag on cookies (when served over HTTPS)
    search_engine: str = "whoosh"  # dms.index.engines.DEFAULT (the engines are listed there); see `dms reindex`
    query_max_terms: int = 50  # words, phrases, identifiers and field values in one query
    query_max_depth: int = 16  # brackets and NOTs nested in one query (at most 50)
    query_max_expansion: int = 200  # index words one fuzzy word~ or prefix* may stand for
    query_max_expansion_total: int = 1000  # the same, summed over one query
    query_timeout: float = 10.0  # seconds one search may take before it is stopped with an error
    page_text_max_chars: int = 100_000  # document text shown by one view of a document page or the /text API
    page_text_max_pages: int = 20  # pages shown by one view (a longer document gets "next" links)
    bates_prefix: str = "DMS"  # control numbers in dispute bundles: DMS-000001, …
    sign_in_attempts: int = 5  # failed sign-ins per browser, per name (unknown browsers) in the window; dms.auth
    trusted_proxies: tuple[str, ...] = ()  # addresses/networks whose X-Forwarded-For is believed; none by default
    # accounts (issue 15): sign-in throttling, known browsers, temporary passwords; see dms.auth
    sign_in_window_minutes: float = 15.0  # failed sign-ins are counted over this many minutes
    sign_in_attempts_per_address: int = 30  # failed sign-ins from one IP address (unknown browsers) in the window
    known_client_days: float = 180.0  # a browser that signed in stays known (spared from lockouts) this long
    temporary_password_hours: float = 72.0  # a temporary password set by an admin works this long, once
    lock_wait: float = 120.0  # seconds a second ingest waits for the one holding the archive's lock, then fails
    notice_retry: float = 300.0  # seconds between two tries of `dms serve` to deliver notices still in the outbox
    follow_symlinks: bool = False  # ingest/watch follow symbolic links out of the folder given (never to /proc, …)
    ocr: bool = True  # OCR scanned pages during ingest; when off they wait, marked "needs OCR", for `dms ocr`
    ocr_languages: str = "eng"  # Tesseract language packs, joined with + (e.g. eng+deu: apt install tesseract-ocr-deu)
    ocr_page_timeout: float = 120.0  # seconds Tesseract may spend on one page
    ocr_max_megapixels: float = 60.0  # larger page images are refused (PDF pages are rendered smaller to fit)
    ocr_max_pages: int = 200  # pages of one document OCRed in one run; the rest wait (failed) for a retry
    ocr_document_timeout: float = 1800.0  # seconds OCR may spend on one document in one run; the rest wait likewise
    tesseract: str = "tesseract"  # the Tesseract program, found on PATH unless a path is given
    audit_key_file: Path | None = None  # Ed25519 key signing the audit head and bundles; kept OUTSIDE the home
    learn_min_confidence: float = 0.6  # dms.learn fills a field the rules left empty only at this confidence or above
    bundle_max_ratio: float = 200.0  # `bundle verify` refuses unread an entry inflating more than this (zip bomb)
    views_max: int = 200  # saved searches ("views") one user may keep
    thumbnails: bool = True  # previews (thumbnails, scan page images, HTML renders) made in the ingest workers
    preview_max_pages: int = 50  # page images (and word boxes) made per document for the viewer
    preview_max_megapixels: float = 4.0  # one page image of the viewer at most this large (rendered smaller to fit)
    preview_html_max_mb: float = 2.0  # an HTML render (DOCX, XLSX, PPTX, e-mail) is cut at this size
    # plans (issue 16): dms.plans, dms.supply, dms.followup
    plan_max_rows: int = 20_000  # rows of one plan workbook (milestones, materials and staff together)
    supply_max_rows: int = 200_000  # rows of evidence (stock, orders, roster, leave) read from one document
    # the catalog on a PostgreSQL server (postgresql://user:password@host/database) instead of catalog.sqlite
    database_url: str | None = None

    @property
    def catalog_path(self) -> Path:
        return self.home / "catalog.sqlite"

    @property
    def catalog_location(self) -> Path | str:
        """Where the catalog is: the PostgreSQL URL when DMS_DATABASE_URL is set, else $DMS_HOME/catalog.sqlite."""
        return self.database_url or self.catalog_path

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
    "DMS_DATABASE_URL": ("database_url", lambda name, raw: _database_url(name, raw)),
    "DMS_EXTRACT_TIMEOUT": ("extract_timeout", _positive_float),
    "DMS_MAX_FILE_MB": ("max_file_mb", _positive_float),
    "DMS_MAX_TEXT_MB": ("max_text_mb", _positive_float),
    "DMS_WORKER_MEMORY_MB": ("worker_memory_mb", _positive_int),
    "DMS_COMMIT_EVERY": ("commit_every", _positive_int),
    "DMS_SMTP_HOST": ("smtp_host", lambda name, raw: raw.strip()),
    "DMS_SMTP_PORT": ("smtp_port", _positive_int),
    "DMS_UPLOAD_MAX_MB": ("upload_max_mb", _positive_float),
    "DMS_LEARN_MIN_CONFIDENCE": ("learn_min_confidence", _fraction),
    "DMS_SESSION_HOURS": ("session_hours", _positive_float),
    "DMS_SECURE_COOKIES": ("secure_cookies", _flag),
    "DMS_SIGN_IN_ATTEMPTS": ("sign_in_attempts", _positive_int),
    "DMS_SIGN_IN_WINDOW_MINUTES": ("sign_in_window_minutes", _positive_float),
    "DMS_SIGN_IN_ATTEMPTS_PER_ADDRESS": ("sign_in_attempts_per_address", _positive_int),
    "DMS_KNOWN_CLIENT_DAYS": ("known_client_days", _positive_float),
    "DMS_TEMPORARY_PASSWORD_HOURS": ("temporary_password_hours", _positive_float),
    "DMS_TRUSTED_PROXIES": ("trusted_proxies", lambda name, raw: _networks(name, raw)),
    "DMS_LOCK_WAIT": ("lock_wait", _positive_float),
    "DMS_NOTICE_RETRY": ("notice_retry", _positive_float),
    "DMS_BATES_PREFIX": ("bates_prefix", lambda name, raw: _prefix(name, raw)),
    "DMS_SEARCH_ENGINE": ("search_engine", lambda name, raw: _engine(name, raw)),
    "DMS_QUERY_MAX_TERMS": ("query_max_terms", _positive_int),
    "DMS_QUERY_MAX_DEPTH": ("query_max_depth", lambda name, raw: _at_most(50, _positive_int(name, raw), name)),
    "DMS_QUERY_MAX_EXPANSION": ("query_max_expansion", _positive_int),
    "DMS_QUERY_MAX_EXPANSION_TOTAL": ("query_max_expansion_total", _positive_int),
    "DMS_QUERY_TIMEOUT": ("query_timeout", _positive_float),
    "DMS_PAGE_TEXT_MAX_CHARS": ("page_text_max_chars", _positive_int),
    "DMS_PAGE_TEXT_MAX_PAGES": ("page_text_max_pages", _positive_int),
    "DMS_FOLLOW_SYMLINKS": ("follow_symlinks", _flag),
    "DMS_OCR": ("ocr", _flag),
    "DMS_OCR_LANGUAGES": ("ocr_languages", lambda name, raw: _languages(name, raw)),
    "DMS_OCR_PAGE_TIMEOUT": ("ocr_page_timeout", _positive_float),
    "DMS_OCR_MAX_MEGAPIXELS": ("ocr_max_megapixels", _positive_float),
    "DMS_OCR_MAX_PAGES": ("ocr_max_pages", _positive_int),
    "DMS_OCR_DOCUMENT_TIMEOUT": ("ocr_document_timeout", _positive_float),
    "DMS_TESSERACT": ("tesseract", lambda name, raw: raw.strip()),
    "DMS_AUDIT_KEY_FILE": ("audit_key_file", lambda name, raw: Path(raw.strip()).expanduser().absolute()),
    "DMS_BUNDLE_MAX_RATIO": ("bundle_max_ratio", _positive_float),
    "DMS_VIEWS_MAX": ("views_max", _positive_int),
    "DMS_THUMBNAILS": ("thumbnails", _flag),
    "DMS_PREVIEW_MAX_PAGES": ("preview_max_pages", _positive_int),
    "DMS_PREVIEW_MAX_MEGAPIXELS": ("preview_max_megapixels", _positive_float),
    "DMS_PREVIEW_HTML_MAX_MB": ("preview_html_max_mb", _positive_float),
    "DMS_PLAN_MAX_ROWS": ("plan_max_rows", _positive_int),
    "DMS_SUPPLY_MAX_ROWS": ("supply_max_rows", _positive_int),
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
