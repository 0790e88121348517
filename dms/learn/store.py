"""The learned model on disk, in the data directory: $DMS_HOME/learned/model.json (a header) and model.npz
(the weights). Never pickle: whoever can write the data directory could plant a pickle, and loading it would
run their code. The weights are plain numeric arrays read with `allow_pickle=False`; the header names their
SHA-256, shapes and classes. A file that is damaged, foreign or of other features is ignored (with a reason),
never executed; the model is then trained again from the catalog, which holds every correction.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from dms.learn.model import FEATURES, FieldModel

FORMAT = "dms learned model"
VERSION = 1
MAX_HEADER_BYTES = 4 << 20
MAX_WEIGHT_BYTES = 512 << 20  # the arrays unpacked, all together


class Unusable(Exception):
    """The stored model cannot be used; the message says why."""


@dataclass(frozen=True, slots=True)
class Model:
    fields: dict[str, FieldModel]
    last_edit: int  # the latest hand correction (audit id) it learned from
    documents: int  # live documents in the catalog when it was trained
    trained_at: str


def paths(home: Path) -> tuple[Path, Path]:
    folder = home / "learned"
    return folder / "model.json", folder / "model.npz"


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def save(home: Path, model: Model) -> None:
    """Weights first, then the header that names their hash: a reader never pairs a header with other weights."""
    header_path, weights_path = paths(home)
    header_path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for name, fm in model.fields.items():
        arrays[f"{name}.cols"] = fm.cols.astype(np.int32)
        arrays[f"{name}.coef"] = fm.coef.astype(np.float32)
        arrays[f"{name}.intercept"] = fm.intercept.astype(np.float32)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    weights = buffer.getvalue()
    _write(weights_path, weights)
    header = {"format": FORMAT, "version": VERSION, "trained_at": model.trained_at, "features": FEATURES,
              "last_edit": model.last_edit, "documents": model.documents,
              "weights_sha256": hashlib.sha256(weights).hexdigest(),
              "fields": {name: {"multi": fm.multi, "classes": list(fm.classes), "examples": fm.examples,
                                "seconds": round(fm.seconds, 4), "columns": int(len(fm.cols))}
                         for name, fm in model.fields.items()}}
    _write(header_path, json.dumps(header, indent=1).encode())


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def load(home: Path) -> Model | None:
    """The stored model; None when there is none (or it was made with other features, so it is out of date).
    Raises Unusable when the files are damaged or foreign."""
    header_path, weights_path = paths(home)
    if not header_path.exists() and not weights_path.exists():
        return None
    header = _header(header_path)
    if header.get("features") != FEATURES:
        return None  # an older dms's features: trained again, nothing wrong
    try:
        weights = weights_path.read_bytes() if weights_path.stat().st_size <= MAX_WEIGHT_BYTES else None
    except OSError as exc:
        raise Unusable(f"{weights_path.name} cannot be read ({exc.strerror or exc})") from None
    if weights is None:
        raise Unusable(f"{weights_path.name} is larger than {MAX_WEIGHT_BYTES >> 20} MB")
    if hashlib.sha256(weights).hexdigest() != header.get("weights_sha256"):
        raise Unusable(f"{weights_path.name} is not the file its header {header_path.name} names (SHA-256 differs)")
    arrays = _arrays(weights_path, weights)
    fields = {}
    for name, meta in header["fields"].items():
        fields[name] = _field(name, meta, arrays)
    return Model(fields, int(header["last_edit"]), int(header["documents"]), str(header["trained_at"]))


def _header(path: Path) -> dict:
    try:
        if path.stat().st_size > MAX_HEADER_BYTES:
            raise Unusable(f"{path.name} is larger than {MAX_HEADER_BYTES >> 20} MB")
        header = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise Unusable(f"{path.name} is missing") from None
    except (OSError, ValueError) as exc:
        raise Unusable(f"{path.name} is not a readable JSON header ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("version") != VERSION:
        raise Unusable(f"{path.name} is not a dms learned model of version {VERSION}")
    if not isinstance(header.get("fields"), dict) or not isinstance(header.get("last_edit"), int) \
            or not isinstance(header.get("documents"), int):
        raise Unusable(f"{path.name} lacks its fields, last_edit or documents")
    return header


def _arrays(path: Path, data: bytes) -> dict[str, np.ndarray]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:  # bound what unpacking may allocate
            if sum(info.file_size for info in archive.infolist()) > MAX_WEIGHT_BYTES:
                raise Unusable(f"{path.name} unpacks to more than {MAX_WEIGHT_BYTES >> 20} MB")
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except Unusable:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise Unusable(f"{path.name} is not a file of plain numeric arrays ({exc})") from None


def _field(name: str, meta: dict, arrays: dict[str, np.ndarray]) -> FieldModel:
    try:
        cols, coef, intercept = (arrays[f"{name}.{part}"] for part in ("cols", "coef", "intercept"))
        classes = tuple(str(c) for c in meta["classes"])
        multi = bool(meta["multi"])
    except (KeyError, TypeError) as exc:
        raise Unusable(f"the learned model lacks part of field {name!r} ({exc})") from None
    n = len(classes)
    if cols.dtype != np.int32 or coef.dtype != np.float32 or intercept.dtype != np.float32 or cols.ndim != 1 \
            or coef.shape != (n, len(cols)) or intercept.shape != (n,) or n == 0:
        raise Unusable(f"the learned model's arrays of field {name!r} have the wrong type or shape")
    if len(cols) and (cols.min() < 0 or cols.max() >= FEATURES["n_features"]):
        raise Unusable(f"the learned model's field {name!r} names feature columns out of range")
    if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
        raise Unusable(f"the learned model's field {name!r} holds weights that are not finite")
    examples = meta.get("examples") if isinstance(meta.get("examples"), dict) else {}
    return FieldModel(name, multi, classes, cols, coef, intercept, examples, float(meta.get("seconds") or 0))
