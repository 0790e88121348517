"""Web figures: server-side time of the search and document pages, and search-API throughput, against the
library itself in the same run.

    .venv/bin/python bench/web.py --home DIR          # a data directory with an archive ingested
    .venv/bin/python bench/web.py --corpus DIR        # ingest a corpus (dms sample generate) first

Starts `dms serve` (a real uvicorn process on 127.0.0.1) and measures:
- the search page (`/search?q=…`, 20 hits with snippets and facets) and the document page
  (`/documents/ID?q=…`, text highlighted, links, graph): server-side time from the Server-Timing
  header every response carries, p50/p95, and the time seen by the client;
- the search API (`/api/v1/search`, 10 hits) with 8 concurrent clients on loopback: requests/s.
The baseline is the raw library search (`dms.search.search`, the call every route makes) on the same queries in
this process: its p50/p95 for the page comparison, and its searches/s with the same 8 threads for the API.
Target: search page p95 under 200 ms at 20k documents.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

from ingest_search import queries  # noqa: E402  (the same 200 queries as the ingest/search bench)

from dms import auth, users  # noqa: E402
from dms.app import Dms  # noqa: E402
from dms.catalog import samples  # noqa: E402
from dms.config import load_settings  # noqa: E402
from dms.search import search  # noqa: E402


def pct(values: list[float], p: int) -> float:
    return round(statistics.quantiles(values, n=100)[p - 1], 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, headers: dict) -> tuple[float, float, int]:
    """(server ms from Server-Timing, client ms, status)."""
    request = urllib.request.Request(url, headers=headers)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            status, timing = response.status, response.headers.get("server-timing", "")
    except urllib.error.HTTPError as exc:
        exc.read()
        status, timing = exc.code, exc.headers.get("server-timing", "")
    client = (time.perf_counter() - started) * 1000
    server = float(timing.split("dur=", 1)[1]) if "dur=" in timing else client
    return server, client, status


def start_server(home: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "dms", "serve", "--port", str(port)], cwd=REPO,
                            env={**os.environ, "DMS_HOME": str(home), "PYTHONPATH": str(REPO)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/health", timeout=2).read()
            return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("dms serve did not start")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", help="data directory with an archive ingested")
    ap.add_argument("--corpus", help="ingest this corpus into a fresh data directory first")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20.0, help="length of the throughput run")
    args = ap.parse_args()
    if not args.home and not args.corpus:
        ap.error("give --home or --corpus")
    home = Path(args.home or tempfile.mkdtemp(prefix="dms-web-bench-")) / ("" if args.home else "home")
    if args.corpus:
        subprocess.run([sys.executable, "-m", "dms", "ingest", args.corpus], env={**os.environ, "DMS_HOME": str(home)},
                       check=True, stdout=subprocess.DEVNULL)
    settings = load_settings(environ={}, home=home)
    with Dms(settings) as app:
        if "bench" not in {u["name"] for u in users.listing(app.catalog)}:
            admin = next((u["name"] for u in users.listing(app.catalog) if u["role"] == "admin"), "bench")
            users.add(app.catalog, "bench", "viewer" if admin != "bench" else "admin", "bench-password-1", by=admin)
        _, token = auth.create_token(app.catalog, "bench", "bench/web.py", "bench")
        documents = app.catalog.stats()["documents"]
        doc_ids = samples.document_ids(app.catalog)
    truth_path = Path(args.corpus) / ".dms-ground-truth.json" if args.corpus else None
    if truth_path and truth_path.exists():
        qs = queries(json.loads(truth_path.read_text()))
    else:
        qs = queries(json.loads((REPO / "archive" / ".dms-ground-truth.json").read_text()))
    rnd = random.Random(11)
    doc_sample = [(rnd.choice(doc_ids), rnd.choice(qs)) for _ in range(200)]

    # baseline: the library call every search route makes, in this process, same queries
    library_ms = []
    with Dms(settings) as app:
        search(app, qs[0], limit=20)
        for q in qs:
            started = time.perf_counter()
            search(app, q, limit=20)
            library_ms.append((time.perf_counter() - started) * 1000)
    local = threading.local()
    opened: list[Dms] = []

    def library_search(q: str) -> None:
        if not hasattr(local, "app"):
            local.app = Dms(settings)
            opened.append(local.app)
        search(local.app, q, limit=10)

    library_rps = throughput(library_search, qs, args.clients, args.seconds)
    for app in opened:
        app.close()

    proc, base = start_server(home)
    try:
        auth_header = {"Authorization": f"Bearer {token}"}
        get(f"{base}/api/v1/search?q=lid", auth_header)  # warm: open the index and graph in a worker
        session = sign_in(base)
        cookie = {"Cookie": f"dms_session={session}"}
        for q in qs[:20]:  # warm every worker thread's searcher
            get(f"{base}/search?{urllib.parse.urlencode({'q': q})}", cookie)
        search_page = [get(f"{base}/search?{urllib.parse.urlencode({'q': q})}", cookie) for q in qs]
        document_page = [get(f"{base}/documents/{d}?{urllib.parse.urlencode({'q': q})}", cookie)
                         for d, q in doc_sample]
        bad = [s for *_, s in search_page + document_page if s != 200]
        if bad:
            raise SystemExit(f"{len(bad)} pages did not answer 200: {sorted(set(bad))}")

        def api_search(q: str) -> None:
            get(f"{base}/api/v1/search?{urllib.parse.urlencode({'q': q, 'limit': 10})}", auth_header)

        api_rps = throughput(api_search, qs, args.clients, args.seconds)
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    s_server = [s for s, _, _ in search_page]
    d_server = [s for s, _, _ in document_page]
    figures = {
        "documents": documents, "queries": len(qs),
        "search_page_server_p50_ms": pct(s_server, 50), "search_page_server_p95_ms": pct(s_server, 95),
        "search_page_client_p95_ms": pct([c for _, c, _ in search_page], 95),
        "document_page_server_p50_ms": pct(d_server, 50), "document_page_server_p95_ms": pct(d_server, 95),
        "document_page_client_p95_ms": pct([c for _, c, _ in document_page], 95),
        "library_search_p50_ms": pct(library_ms, 50), "library_search_p95_ms": pct(library_ms, 95),
        "search_page_vs_library_p95_ratio": round(pct(s_server, 95) / pct(library_ms, 95), 2),
        "api_search_rps": round(api_rps, 1), "library_search_rps": round(library_rps, 1),
        "api_vs_library_rps_ratio": round(api_rps / library_rps, 2), "clients": args.clients,
    }
    print(json.dumps(figures, indent=1))
    print(f"\nsearch page p95 {figures['search_page_server_p95_ms']} ms server-side (target < 200 ms) vs library "
          f"search p95 {figures['library_search_p95_ms']} ms: ratio {figures['search_page_vs_library_p95_ratio']}")
    print(f"document page p50/p95 {figures['document_page_server_p50_ms']}/{figures['document_page_server_p95_ms']} ms")
    print(f"search API {figures['api_search_rps']} req/s with {args.clients} clients vs library "
          f"{figures['library_search_rps']} searches/s with {args.clients} threads: ratio "
          f"{figures['api_vs_library_rps_ratio']}")


def sign_in(base: str) -> str:
    data = urllib.parse.urlencode({"name": "bench", "password": "bench-password-1"}).encode()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(urllib.request.Request(base + "/sign-in", data=data), timeout=30)
    except urllib.error.HTTPError as exc:
        cookie = exc.headers.get("set-cookie", "")
        if exc.code == 303 and "dms_session=" in cookie:
            return cookie.split("dms_session=", 1)[1].split(";", 1)[0]
        raise
    raise SystemExit("sign-in did not answer with a session")


def throughput(work, qs: list[str], clients: int, seconds: float) -> float:
    """Calls per second of work(q) from `clients` threads, each cycling through the queries."""
    done = [0] * clients
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        i = n
        while time.monotonic() < stop:
            work(qs[i % len(qs)])
            done[n] += 1
            i += clients

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return sum(done) / (time.monotonic() - started)


if __name__ == "__main__":
    main()
