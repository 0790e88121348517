"""`dms bundle verify` on a ~1 GB bundle and on a zip bomb: peak RSS and time, against plain hashing.

    .venv/bin/python bench/bundle_verify.py [--mb 1024] [--files 4] [--keep DIR]

In one run:
- writes FILES originals of random bytes (MB in all) and a small letter, ingests them into a temporary
  data directory (DMS_MAX_FILE_MB=1, so the large ones are stored without extraction) with an audit key,
  and makes a signed bundle of everything (`dms bundle create '*'`);
- runs `dms bundle verify` on it in a subprocess, polling its peak RSS (psutil, every 5 ms), against two
  baselines hashing the same zip file: `sha256sum` and Python's hashlib in 1 MiB reads (time and RSS);
- appends a real 3 GiB entry of zeros (deflated to 3 MB) to a small bundle and runs `dms bundle verify` on that:
  it must be refused unread, with bounded memory and at once.
Target (issue 13): peak RSS of `bundle verify` on the 1 GB bundle under 200 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent


def measure(cmd: list[str], env: dict | None = None) -> dict:
    """Run `cmd`, polling the peak RSS of it and its children; returns seconds, peak MB, exit code, output."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
    watched = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            rss = watched.memory_info().rss + sum(c.memory_info().rss for c in watched.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.005)
    out, err = proc.communicate()
    return {"s": round(time.perf_counter() - started, 2), "peak_rss_mb": round(peak / 2**20, 1),
            "exit": proc.returncode, "stdout": out.decode(errors="replace"), "stderr": err.decode(errors="replace")}


def dms(home: Path, *args: str, env: dict) -> None:
    subprocess.run([sys.executable, "-m", "dms", *args], check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "DMS_HOME": str(home), "PYTHONPATH": str(REPO), **env})


class _ZerosDeflater:
    """Deflates 16 MiB blocks of zeros by repeating one block compressed after a full flush (a valid deflate
    stream, as a bomb maker would write it), so a 3 GiB entry is built in seconds, not minutes."""

    BLOCK = 16 << 20

    def __init__(self):
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        self.piece = c.compress(bytes(self.BLOCK)) + c.flush(zlib.Z_FULL_FLUSH)
        self.end = zlib.compressobj(9, zlib.DEFLATED, -15).flush()

    def compress(self, data: bytes) -> bytes:
        assert len(data) == self.BLOCK and not any(data[:4096])
        return self.piece

    def flush(self) -> bytes:
        return self.end


def add_bomb(path: Path, name: str, size: int) -> None:
    """Append a real deflated entry of `size` zero bytes (CRC and sizes true) to the zip at `path`."""
    original = zipfile._get_compressor
    zipfile._get_compressor = lambda compress_type, compresslevel=None: _ZerosDeflater()
    try:
        with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z, z.open(name, "w", force_zip64=True) as fh:
            zeros = bytes(_ZerosDeflater.BLOCK)
            for _ in range(size // len(zeros)):
                fh.write(zeros)
    finally:
        zipfile._get_compressor = original


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=1024, help="size of the originals in all (MB)")
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--keep", help="work here and keep it (default: a temporary folder, removed)")
    args = ap.parse_args()
    root = Path(args.keep or tempfile.mkdtemp(prefix="dms-bundle-bench-"))
    try:
        figures = run(root, args.mb, args.files)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(figures, indent=1))


def run(root: Path, mb: int, files: int) -> dict:
    inbox, home, keys = root / "in", root / "home", root / "keys"
    for folder in (inbox, keys):
        folder.mkdir(parents=True, exist_ok=True)
    chunk = 1 << 20
    for n in range(files):
        with open(inbox / f"large-{n}.bin", "wb") as fh:
            for _ in range(mb // files):
                fh.write(os.urandom(chunk))
    (inbox / "letter.txt").write_text("A letter about the walnut gasket.\n")
    key = keys / "audit.pem"
    env = {"DMS_MAX_FILE_MB": "1"}
    dms(home, "audit", "keygen", "-o", str(key), env=env)
    env["DMS_AUDIT_KEY_FILE"] = str(key)
    started = time.perf_counter()
    dms(home, "ingest", str(inbox), env=env)
    ingest_s = time.perf_counter() - started
    bundle = root / "bundle.zip"
    started = time.perf_counter()
    dms(home, "bundle", "create", "*", "-o", str(bundle), env=env)
    create_s = time.perf_counter() - started
    shutil.rmtree(inbox)

    cli = [sys.executable, "-m", "dms", "bundle", "verify", "--json"]
    verify = measure(cli + [str(bundle), "--public-key", str(home / "audit_key.pub")], {"PYTHONPATH": str(REPO)})
    result = json.loads(verify["stdout"])
    sha = measure(["sha256sum", str(bundle)])
    py = measure([sys.executable, "-c", "import hashlib,sys\nh=hashlib.sha256()\nf=open(sys.argv[1],'rb')\n"
                  "while b:=f.read(1<<20): h.update(b)\nprint(h.hexdigest())", str(bundle)])

    small = root / "small.zip"
    dms(home, "bundle", "create", "walnut", "-o", str(small), env=env)
    bomb = root / "bomb.zip"
    shutil.copy(small, bomb)
    started = time.perf_counter()
    add_bomb(bomb, "originals/BOMB.bin", 3 << 30)
    bomb_build_s = time.perf_counter() - started
    refused = measure(cli + [str(bomb)], {"PYTHONPATH": str(REPO)})
    bombed = json.loads(refused["stdout"])
    return {
        "bundle_mb": round(bundle.stat().st_size / 2**20, 1), "documents": result["documents"],
        "ingest_s": round(ingest_s, 1), "bundle_create_s": round(create_s, 1),
        "verify": {"ok": result["ok"], "signed": bool(result["signature"] and result["signature"]["valid"]),
                   "s": verify["s"], "peak_rss_mb": verify["peak_rss_mb"]},
        "baseline_sha256sum": {"s": sha["s"], "peak_rss_mb": sha["peak_rss_mb"]},
        "baseline_python_hashlib": {"s": py["s"], "peak_rss_mb": py["peak_rss_mb"]},
        "verify_vs_sha256sum_time_ratio": round(verify["s"] / max(sha["s"], 0.01), 2),
        "verify_vs_python_hashlib_time_ratio": round(verify["s"] / max(py["s"], 0.01), 2),
        "target_peak_rss_under_200_mb": verify["peak_rss_mb"] < 200,
        "zip_bomb": {"zip_mb": round(bomb.stat().st_size / 2**20, 1), "declared_gib": 3,
                     "build_s": round(bomb_build_s, 1),
                     "exit": refused["exit"], "s": refused["s"], "peak_rss_mb": refused["peak_rss_mb"],
                     "refused": any("refused unread" in p for p in bombed["problems"]),
                     "problems": bombed["problems"]},
    }


if __name__ == "__main__":
    main()
