"""Verify a dispute bundle with the bundle alone (and, to resist a forger, the archive's public key).

Memory stays bounded whatever the zip holds: every entry is hashed as it streams (1 MiB at a time,
once); only the small parts (SHA256SUMS, its signature, the manifests, bundle.json) are read whole, and
only under a size cap; an entry declaring more bytes than `max_ratio` times its compressed size is
refused unread (a zip bomb), and so is the whole bundle when its entries declare more than `max_ratio`
times its size in all (many small bombs); zipfile stops any entry at its declared size. An entry already
found not to belong (not in SHA256SUMS, not a part of a bundle) is named, never read. Each problem,
including a malformed part, is a line of the result: nothing raises.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import zipfile
import zlib
from collections import Counter
from pathlib import Path

from dms import audit, signing
from dms.bundles.manifest import check_csv, check_json

SUMS, SIGNATURE = "SHA256SUMS", "SHA256SUMS.sig"
FIXED = {"manifest.json", "manifest.csv", "audit.jsonl", "index.html", "bundle.json", SUMS, SIGNATURE}
SMALL_PART_MAX = 64 << 20  # the manifests, sums and bundle.json are read whole, up to this
CHUNK = 1 << 20
ALLOWANCE = 1 << 20  # bytes any entry, and a bundle in all, may inflate to past `max_ratio` (small parts deflate well)
_ENTRY_KEYS = {"id", "at", "user", "action", "subject", "also", "details", "prev_hash", "hash"}
_SUM_LINE = re.compile(r"([0-9a-f]{64})  (.+)")


def sums_message(sums: bytes) -> bytes:
    """What a bundle's signature signs: the SHA-256 of its SHA256SUMS (which lists every other file)."""
    return b"dms bundle\n" + hashlib.sha256(sums).hexdigest().encode() + b"\n"


def verify(path: str | Path, public_key=None, max_ratio: float = 200.0) -> dict:
    """{ok, checked, documents, signature, problems, notes}; problems name the file and what is wrong."""
    problems: list[str] = []
    notes: list[str] = []
    result = {"ok": False, "checked": 0, "documents": 0, "signature": None, "problems": problems, "notes": notes}
    try:
        z = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        problems.append(f"{path} is not a readable zip file: {exc}")
        return result
    with z:
        size = os.path.getsize(path)
        infos = _sound_entries(z, size, max_ratio, problems)
        readable = _within_total(infos, size, max_ratio, problems)
        sums = _small(z, infos, SUMS, problems)
        listed = _parse_sums(sums, problems) if sums is not None else {}
        result["signature"] = _signature(z, infos, sums, public_key, problems, notes)
        rows = _manifests(z, infos, problems)
        expected = set(FIXED)
        for row in rows:
            expected |= {f"originals/{row['file']}", f"text/{row['control_number']}.txt"}
        wanted = sorted(n for n in infos if n in expected and n not in (SUMS, SIGNATURE)
                        and (n in listed or sums is None)) if readable else []
        digests = {name: _stream_hash(z, infos[name], problems) for name in wanted}
        for name, digest in sorted(listed.items()):
            if name not in infos:
                problems.append(f"{name} is listed in SHA256SUMS but missing from the bundle")
            elif digests.get(name) and digests[name] != digest:
                problems.append(f"{name} does not match its SHA-256 in SHA256SUMS: it was altered")
        for row in rows:
            name = f"originals/{row['file']}"
            if name not in infos:
                problems.append(f"{row['control_number']}: {name} is missing")
            elif digests.get(name) and digests[name] != row["sha256"]:
                problems.append(f"{row['control_number']}: {name} does not match the SHA-256 in the manifest")
        for name in sorted(set(infos) - set(listed) - {SUMS, SIGNATURE}):
            problems.append(f"{name} is in the bundle but not in SHA256SUMS: it was added")
        for name in sorted(set(infos) - expected):
            problems.append(f"{name} is not a part of a bundle nor in its manifest: an unexpected entry")
        _audit_slice(z, infos, public_key, problems)
        result.update(checked=len(listed), documents=len(rows))
    result["ok"] = not problems
    return result


def _sound_entries(z: zipfile.ZipFile, size: int, max_ratio: float, problems: list) -> dict:
    """The entries that may be read: each name once, none declaring an absurd size."""
    infos = z.infolist()
    counts = Counter(i.filename for i in infos)
    for name, n in sorted(counts.items()):
        if n > 1:
            problems.append(f"{name} appears {n} times in the zip: which copy a reader shows depends on the tool, "
                            "so none is trusted")
    sound = {}
    for info in infos:
        if counts[info.filename] > 1:
            sound[info.filename] = None
            continue
        if info.compress_size > size or over_ratio(info, max_ratio):
            problems.append(f"{info.filename} declares {info.file_size:,} bytes from {info.compress_size:,} "
                            f"compressed in a {size:,}-byte bundle (over {max_ratio:g}x): refused unread, "
                            "a zip bomb or a forged size")
            sound[info.filename] = None
        else:
            sound[info.filename] = info
    return sound


def over_ratio(info: zipfile.ZipInfo, max_ratio: float) -> bool:
    """An entry declaring more bytes than `max_ratio` times its compressed size (past the allowance)."""
    return info.file_size > max(max_ratio * info.compress_size, ALLOWANCE)


def total_bound(size: int, max_ratio: float) -> float:
    """The most bytes all entries of a `size`-byte bundle may declare in all."""
    return max_ratio * size + ALLOWANCE


def _within_total(infos: dict, size: int, max_ratio: float, problems: list) -> bool:
    """False (and why) when the entries not already refused declare more than the bundle's bound in all."""
    total = sum(info.file_size for info in infos.values() if info is not None)
    if total <= total_bound(size, max_ratio):
        return True
    problems.append(f"the entries declare {total:,} bytes in all from a {size:,}-byte bundle (over {max_ratio:g}x): "
                    "refused unread, a zip bomb of many entries or forged sizes; no entry was checked against its "
                    "SHA-256")
    return False


def _small(z: zipfile.ZipFile, infos: dict, name: str, problems: list, required: bool = True) -> bytes | None:
    info = infos.get(name)
    if info is None:
        if required and name not in infos:
            problems.append(f"{name} is missing: the bundle cannot be fully verified")
        return None
    if info.file_size > SMALL_PART_MAX:
        problems.append(f"{name} declares {info.file_size:,} bytes, more than a bundle part of its kind may hold")
        return None
    try:
        return z.read(info)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        problems.append(f"{name} cannot be read from the zip: {exc}")
        return None


def _parse_sums(data: bytes, problems: list) -> dict:
    listed = {}
    for n, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        match = _SUM_LINE.fullmatch(line)
        if not match:
            problems.append(f"SHA256SUMS line {n} is not 'SHA-256  name': {line[:80]!r}")
        else:
            listed[match[2]] = match[1]
    return listed


def _signature(z, infos, sums: bytes | None, public_key, problems: list, notes: list) -> dict | None:
    raw = _small(z, infos, SIGNATURE, problems, required=False)
    if raw is None:
        if public_key is not None:
            problems.append("the bundle is not signed (SHA256SUMS.sig is missing), though a public key was given")
        elif SIGNATURE not in infos:
            notes.append("the bundle is not signed: its sums show accidental damage, not a rewrite")
        return None
    try:
        sig = json.loads(raw)
        if not isinstance(sig, dict):
            raise ValueError("it is not an object of fields")
        if not isinstance(sig.get("public_key"), str) or not isinstance(sig.get("signature"), str):
            raise ValueError("its public_key and signature are not both text")
        embedded = signing.public_from_text(sig["public_key"])
        if embedded is None:
            raise ValueError("its public key is not an Ed25519 key")
        signature = sig["signature"]
    except ValueError as exc:
        problems.append(f"SHA256SUMS.sig is malformed: {exc}")
        return None
    key = public_key or embedded
    info = {"fingerprint": signing.fingerprint(embedded), "pinned": public_key is not None, "valid": False}
    if public_key is not None and signing.fingerprint(public_key) != info["fingerprint"]:
        problems.append(f"the bundle is signed by {info['fingerprint']}, not by the key given "
                        f"({signing.fingerprint(public_key)})")
    elif sums is not None and signing.check(key, sums_message(sums), signature):
        info["valid"] = True
        if public_key is None:
            notes.append(f"the signature was checked only against the key inside the bundle ({info['fingerprint']}), "
                         "which whoever rewrote a bundle could have put there: compare it with the archive's "
                         "published fingerprint, or pin the archive's key (--public-key or DMS_AUDIT_KEY_FILE)")
    elif sums is not None:
        problems.append(f"SHA256SUMS does not match its signature by {info['fingerprint']}: the sums, and so the "
                        "bundle, were rewritten after signing")
    return info


def _manifests(z, infos, problems: list) -> list[dict]:
    data = _small(z, infos, "manifest.json", problems)
    rows, bad = check_json(data) if data is not None else ([], [])
    problems += bad
    table = _small(z, infos, "manifest.csv", problems)
    if table is not None and data is not None and not bad:
        problems += check_csv(table, rows)
    meta = _small(z, infos, "bundle.json", problems)
    if meta is not None:
        try:
            json.loads(meta)
        except ValueError as exc:
            problems.append(f"bundle.json is not valid JSON: {exc}")
    return rows


def _stream_hash(z: zipfile.ZipFile, info, problems: list) -> str | None:
    if info is None:
        return None
    digest = hashlib.sha256()
    try:
        with z.open(info) as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        problems.append(f"{info.filename} cannot be read from the zip: {exc}")
        return None
    return digest.hexdigest()


def _audit_slice(z, infos, key, problems: list) -> None:
    """Each audit entry of the slice still matches its hash (and, with a pinned key, its signature)."""
    info = infos.get("audit.jsonl")
    if info is None:
        return
    if info.file_size > SMALL_PART_MAX:
        problems.append(f"audit.jsonl declares {info.file_size:,} bytes, more than a bundle part of its kind may hold")
        return
    try:
        with z.open(info) as fh:
            for n, line in enumerate(io.TextIOWrapper(fh, encoding="utf-8", errors="strict"), start=1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except ValueError as exc:
                    problems.append(f"audit.jsonl line {n} is not valid JSON: {exc}")
                    continue
                if not isinstance(entry, dict) or not _ENTRY_KEYS <= entry.keys() or not isinstance(entry["id"], int):
                    problems.append(f"audit.jsonl line {n} is not an audit entry (it lacks fields, or its id)")
                    continue
                signed = key if (key is not None and entry.get("sig")) else None
                problems += audit.verify_entries([entry], start_prev=entry["prev_hash"], first_id=entry["id"],
                                                 key=signed)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, UnicodeDecodeError) as exc:
        problems.append(f"audit.jsonl cannot be read: {exc}")
