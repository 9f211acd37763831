"""The version of element-docs (``pyproject.toml`` says the same; a test holds them together),
and the fingerprint of its code, which every cache key includes: new code, new entries."""

import hashlib
from pathlib import Path

__version__ = "0.1.0"


def _code_fingerprint() -> str:
    package = Path(__file__).parent
    parts = [p.read_bytes() for p in sorted(package.rglob("*.py"))]
    return hashlib.blake2b(b"\0".join(parts), digest_size=16).hexdigest()


CODE_FINGERPRINT = _code_fingerprint()
