"""Ed25519 keys for the audit head and dispute bundles.

The private key lives in a file OUTSIDE the data directory (DMS_AUDIT_KEY_FILE, mode 0600), so someone
who can rewrite the data directory cannot re-sign what they changed. The public key is kept in the data
directory (`audit_key.pub`) for convenience, but a verifier who wants to resist an insider pins it:
the configured key, `--public-key FILE`, or the fingerprint in a head statement noted elsewhere.

    fingerprint   "SHA256:" + unpadded base64 of SHA-256 over the 32 raw public-key bytes (as ssh prints it)
    signature     base64 of the 64-byte Ed25519 signature over a message that names what it signs
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from dms.errors import ConfigError, IntegrityError, UsageError

if TYPE_CHECKING:  # cryptography is imported where keys are used: most commands never sign or check anything
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PUBLIC_KEY_NAME = "audit_key.pub"  # in the data directory


def _inside(path: Path, folder: Path) -> bool:
    path, folder = path.expanduser().absolute().resolve(), folder.expanduser().absolute().resolve()
    return path == folder or folder in path.parents


def generate(out: Path, home: Path) -> Ed25519PrivateKey:
    """Write a new private key to `out` (never over an existing file, never inside the data directory)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    out = Path(out).expanduser().absolute()
    if _inside(out, home):
        raise UsageError(f"{out} is inside the data directory {home}: keep the audit key elsewhere, or anyone "
                         "who can change the data could also re-sign it")
    if not out.parent.is_dir():
        raise UsageError(f"cannot write {out}: the folder {out.parent} does not exist")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageError(f"{out} already exists: a key is never overwritten (it signs what was recorded)") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return key


def load_private(path: Path, home: Path) -> Ed25519PrivateKey:
    """The key DMS_AUDIT_KEY_FILE names; a clear ConfigError for every way it can be wrong."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = Path(path).expanduser().absolute()
    if _inside(path, home):
        raise ConfigError(f"DMS_AUDIT_KEY_FILE={path} is inside the data directory {home}: move it out")
    try:
        mode = path.stat().st_mode
        if mode & 0o077:
            raise ConfigError(f"DMS_AUDIT_KEY_FILE={path} can be read by others (mode {mode & 0o777:o}): "
                              f"chmod 600 {path}")
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"DMS_AUDIT_KEY_FILE={path} cannot be read: {exc.strerror or exc}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"DMS_AUDIT_KEY_FILE={path} is not an unencrypted Ed25519 private key "
                          "(make one with `dms audit keygen -o FILE`)")
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    """A public key file: PEM, or the one-line base64 that `dms audit head` prints."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"{path} cannot be read: {exc.strerror or exc}") from None
    key = public_from_text(data.decode("ascii", "replace"))
    if key is None:
        raise UsageError(f"{path} is not an Ed25519 public key (PEM or base64)")
    return key


def public_from_text(text: str) -> Ed25519PublicKey | None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
            return key if isinstance(key, Ed25519PublicKey) else None
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw) if len(raw) == 32 else None
    except (ValueError, TypeError, binascii.Error):
        return None


def raw(key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_b64(key: Ed25519PublicKey) -> str:
    return base64.b64encode(raw(key)).decode()


def public_pem(key: Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def fingerprint(key: Ed25519PublicKey) -> str:
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw(key)).digest()).decode().rstrip("=")


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message)).decode()


def check(key: Ed25519PublicKey, message: bytes, signature: str | None) -> bool:
    """True only for a well-formed signature of `message` by `key`."""
    from cryptography.exceptions import InvalidSignature

    if not isinstance(signature, str):
        return False
    try:
        key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def stored_public(home: Path) -> Ed25519PublicKey | None:
    """The public key kept in the data directory, if any (untrusted on its own: see the module docstring)."""
    path = home / PUBLIC_KEY_NAME
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UsageError(f"{path} cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise _planted(path, "a symbolic link" if stat.S_ISLNK(mode) else "not a plain file")
    return load_public(path)


def store_public(home: Path, key: Ed25519PublicKey) -> Path:
    """Keep the public key in the data directory: a new file only, never written through a link planted there."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / PUBLIC_KEY_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except FileExistsError:  # also a link, dangling or not: O_EXCL never follows one
        raise _planted(path, "a symbolic link" if path.is_symlink() else "already there") from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(public_pem(key))
    return path


def _planted(path: Path, what: str) -> IntegrityError:
    return IntegrityError(f"{path} is {what}: dms keeps the archive's public key there as a plain file of its own "
                          "and never reads or writes through anything else. Remove it and try again")
