"""The one way liangxin hashes a file or bytes: SHA-256 (a submission's id is the SHA-256 of its file, D2).

``hashlib.file_digest`` reads the file in fixed-size chunks, so an oversized (hostile) file is hashed in bounded
memory.  Digests over several inputs (the build fingerprint, the finalized cells) build their own
``hashlib.sha256()`` because what they hash is a canonical text, not a file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

ALGORITHM = "sha256"


def file_sha256(path: Path | str) -> tuple[str, int]:
    """(SHA-256 hex, size in bytes) of a file, read in chunks (memory stays bounded however large it is)."""
    with open(path, "rb") as fh:
        digest = hashlib.file_digest(fh, ALGORITHM)
        return digest.hexdigest(), fh.tell()


def bytes_sha256(data: bytes) -> str:
    """SHA-256 hex of bytes already in memory (a file read whole, after its size was bounded)."""
    return hashlib.sha256(data).hexdigest()
