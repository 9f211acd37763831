"""Secrets and placeholders: does an example value look like a real credential or a sample?"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from generator.errors import Diagnostic, Severity
from generator.extract.blocks import (
    Example,
)
from generator.extract.jsonlocate import (
    JSONPath,
    LocatedJSON,
    format_path,
)
from generator.validate.context import PageContext, Within, lookup

_PLACEHOLDER_RE = re.compile(
    r"^<[^>]*>$|^\{[^}]*\}$|^\$\{.*\}$|^\{\{.*\}\}$|x{4,}|X{4,}|\*{3,}|\.\.\.|your|example|"
    r"fake|placeholder|dummy|sample|changeme|redacted|^[^\w]*$",
    re.IGNORECASE,
)


_SECRET_FORMATS = re.compile(
    r"AKIA[0-9A-Z]{16}|sk_live_[0-9a-zA-Z]{10,}|gh[pousr]_[0-9A-Za-z]{30,}|xox[abpr]-[0-9A-Za-z-]{10,}"
    r"|eyJ[\w-]{8,}\.eyJ[\w-]{8,}|-----BEGIN [A-Z ]*PRIVATE KEY|AIza[0-9A-Za-z_-]{30,}"
)


_URL_CREDENTIALS_RE = re.compile(r"https?://[^/\s:@]+:[^/\s@]+@")


_HOST_NAME_RE = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?")


_TOP_LEVEL_DOMAIN_RE = re.compile(r"\.[A-Za-z]{2,}$")


_DIGIT_RE = re.compile(r"\d")


_LETTER_RE = re.compile(r"[A-Za-z]")


def looks_like_secret(value: str, key: str = "") -> bool:
    """True for values that look like real credentials rather than placeholders; ``key``
    is the name the value is given under (a value that spells it is a placeholder)."""
    if _SECRET_FORMATS.search(value):
        return True
    if _PLACEHOLDER_RE.search(value) or value.startswith(("http://", "https://")):
        return bool(_URL_CREDENTIALS_RE.match(value))  # credentials in a URL
    candidate = value.strip()
    if _HOST_NAME_RE.fullmatch(candidate) and _TOP_LEVEL_DOMAIN_RE.search(candidate):
        return False  # a host name, not a secret
    if len(candidate) < 16 or " " in candidate:
        return False
    if not (_DIGIT_RE.search(candidate) and _LETTER_RE.search(candidate)):
        return False
    if placeholder_shape(candidate, key):
        return False
    counts = Counter(candidate)
    entropy = -sum(n / len(candidate) * math.log2(n / len(candidate)) for n in counts.values())
    return entropy >= 3.5


# words sample values are made of, besides the name of their own key
_SAMPLE_WORDS = frozenset(
    {
        "api",
        "key",
        "keys",
        "secret",
        "token",
        "access",
        "refresh",
        "client",
        "consumer",
        "id",
        "user",
        "username",
        "pass",
        "password",
        "code",
        "auth",
        "oauth",
        "org",
        "organization",
        "element",
        "instance",
        "my",
        "test",
        "demo",
        "abc",
        "xyz",
        "app",
        "private",
        "public",
        "bearer",
        "session",
        "value",
        "string",
        "sample",
        "temp",
        "new",
        "the",
        "a",
    }
)


def placeholder_shape(value: str, key: str = "") -> bool:
    """Sample values as authors write them: the key's own name plus digits
    (``api_key_1234567``), letters and digits in running order (``ABC/D/efgHIJK1234lmnop``),
    one short chunk repeated (``abcabcabcabc``), runs of x."""
    if re.search(r"[xX]{4,}", value):
        return True
    letters = re.sub(r"[^a-z]", "", value.lower())
    rest = re.sub(r"[A-Za-z]", "", value)
    if not rest.strip("0123456789_-. ") and letters:
        words = {
            w for w in re.split(r"[^a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", key).lower()) if w
        }
        if _spelled_from(letters, _SAMPLE_WORDS | words | {"".join(sorted(words))}):
            return True
    if _running_order(value):
        return True
    return bool(re.fullmatch(r"(.{1,8}?)\1{2,}.{0,8}", value, re.DOTALL))


def _spelled_from(letters: str, words: frozenset[str] | set[str]) -> bool:
    """Whether ``letters`` is a run of the given words, one after another."""
    reachable = [True] + [False] * len(letters)
    for end in range(1, len(letters) + 1):
        reachable[end] = any(
            reachable[start] and letters[start:end] in words
            for start in range(max(0, end - 14), end)
        )
    return reachable[-1]


def _running_order(value: str) -> bool:
    """Most neighbouring letters or digits follow each other (abc, 1234, ABC/D/efg)."""
    chars = [c.lower() for c in value if c.isalnum()]
    if len(chars) < 8:
        return False
    steps = sum(1 for a, b in zip(chars, chars[1:], strict=False) if ord(b) - ord(a) == 1)
    return steps >= 0.6 * (len(chars) - 1)


# the same placeholders and sample values recur on page after page
seems_secret = lru_cache(maxsize=4096)(looks_like_secret)


# values that are short-lived by nature: a sample that looks real is worth a word, not a stop
_SHORT_LIVED = {
    ("providerData", "code"),
    ("providerData", "oauth_verifier"),
    ("providerData", "oauth_token"),
}


def secret_checks(
    ctx: PageContext,
    example: Example,
    located: LocatedJSON,
    paths: Iterable[JSONPath],
    within: Within = None,
) -> list[Diagnostic]:
    found = []
    for path in paths:
        value = lookup(located.value, *[str(p) for p in path])
        if isinstance(value, str) and seems_secret(value, str(path[-1]) if path else ""):
            if tuple(path) in _SHORT_LIVED:
                found.append(
                    ctx.at_path(
                        example,
                        located,
                        path,
                        "ED240",
                        f"{format_path(path)} looks like a real authorization grant code",
                        "a grant code is short-lived, but a real-looking one reads like a leak: "
                        "write a placeholder such as <AUTHORIZATION_GRANT_CODE>",
                        within=within,
                    ).with_severity(Severity.WARNING)
                )
                continue
            found.append(
                ctx.at_path(
                    example,
                    located,
                    path,
                    "ED240",
                    f"{format_path(path)} looks like a real credential",
                    within=within,
                )
            )
    return found
