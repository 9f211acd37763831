"""The tolerant second reading of a JSON block that does not parse: small mends (a missing comma,
an unclosed bracket) that tell what the author meant.
"""

from __future__ import annotations

import re

from generator.extract.jsonlocate import (
    JSONLocateError,
    LocatedJSON,
    parse,
)


def tolerant_read(text: str) -> LocatedJSON | None:
    """What can still be read of JSON that does not parse: the common slips (a missing or
    trailing comma, a stray closer, a comment, an unclosed bracket) mended in place, every
    line kept where it was so the positions still point into ``text``; None when the text
    cannot be mended that way."""
    for _ in range(MAX_MENDS):
        try:
            return parse(text)
        except JSONLocateError as exc:
            mended = _mend(text, exc)
            if mended is None or mended == text:
                return None
            text = mended
    return None


MAX_MENDS = 20


def _mend(text: str, error: JSONLocateError) -> str | None:
    lines = text.split("\n")
    offset = sum(len(line) + 1 for line in lines[: error.line - 1]) + error.col - 1
    message = error.message
    if "missing comma" in message:
        blank = offset - 1
        while blank >= 0 and text[blank] in " \t\n":
            if text[blank] in " \t":
                return text[:blank] + "," + text[blank + 1 :]
            blank -= 1
        return text[:offset] + "," + text[offset:]
    if "trailing comma" in message:
        comma = text.rfind(",", 0, offset + 1)
        return None if comma < 0 else text[:comma] + " " + text[comma + 1 :]
    if text[offset : offset + 1] == ",":  # a doubled comma: ",,"
        return text[:offset] + " " + text[offset + 1 :]
    if "no object is open" in message or "no array is open" in message:
        return text[:offset]
    if "comments are not allowed" in message:
        end = text.find("\n", offset)
        end = len(text) if end < 0 else end
        return text[:offset] + " " * (end - offset) + text[end:]
    if "unexpected end of input" in message:
        opened = re.search(r"'([\[{])' opened", message)
        if opened:
            return text + ("}" if opened.group(1) == "{" else "]")
    return None
