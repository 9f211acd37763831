"""The Parameters tables of a page, read as readers read them, and the configuration keys of the
examples held to them.
"""

from __future__ import annotations

import re
from typing import Any

from generator.errors import Diagnostic, Severity
from generator.extract.blocks import (
    Example,
    Table,
)
from generator.extract.curl import CurlCommand
from generator.extract.jsonlocate import (
    JSONPath,
    LocatedJSON,
)
from generator.validate.bodies import CONFIG_KEY_RE
from generator.validate.context import PageContext, lookup
from generator.validate.curl import configuration_keys
from generator.validate.tolerant import tolerant_read

_PARAMETER_HEADERS = {"parameter", "parameters", "configuration key", "parameter name"}


# tables headed Name, Key or Field are Parameters tables under a Parameters heading only
_NAME_HEADERS = {"name", "key", "field", "property"}


_NOT_CONFIGURATION = re.compile(r"query|response|header|path|scope|error", re.IGNORECASE)


def _parameters_tables(tables: list[Table]) -> list[Table]:
    """Every table that documents the request's parameters (a page showing variants, say
    Basic and OAuth, or OAuth 1 and OAuth 2, may have one per variant)."""
    found = []
    for table in tables:
        first = table.header[0].lower().strip("`* ") if table.header else ""
        named = first in _PARAMETER_HEADERS or (
            first in _NAME_HEADERS and "parameter" in table.heading.lower()
        )
        if named and not _NOT_CONFIGURATION.search(f"{table.header[0]} {table.heading}"):
            found.append(table)
    return found


_CELL_WORD_RE = re.compile(r"[A-Za-z0-9_][\w.\-]*")


def _names_in_row(cells: list[str], spans: list[list[str]]) -> set[str]:
    """Every name a row gives, as readers read it: code spans in any cell (``username``
    as well as ``oauth.api.key``), and the words of a cell ('key', tags, name:`name`)."""
    names = {span.strip().strip("'\"") for cell_spans in spans for span in cell_spans}
    for cell in cells[:1]:
        names.update(_CELL_WORD_RE.findall(cell))
    return {name for name in names if name}


_ELSEWHERE_RE = re.compile(r"event[\w ]{0,80}parameters?[^\n]{0,300}?(?:href=|\]\()", re.IGNORECASE)


def check_parameters_table(
    ctx: PageContext,
    tables: list[Table],
    requests: list[tuple[Example, LocatedJSON]],
    fragments: list[tuple[Example, LocatedJSON]],
    curls: list[tuple[Example, CurlCommand, LocatedJSON | None]],
) -> list[Diagnostic]:
    """Every configuration key of every request body (and configuration fragment) is
    named by a row of a Parameters table of the page, in any cell; a key documented on
    another page the text points to (event keys: "described in Events") counts too. A
    table row naming a configuration key that no example sends is a warning, unless
    the row says the key is optional."""
    parameter_tables = _parameters_tables(tables)
    bodies: list[tuple[Example, LocatedJSON, dict[str, Any], JSONPath]] = []
    for example, located in requests:
        configuration = lookup(located.value, "configuration")
        if isinstance(configuration, dict):
            bodies.append((example, located, configuration, ("configuration",)))
    for example, located in fragments:
        if isinstance(located.value, dict):
            bodies.append((example, located, located.value, ()))
    if not parameter_tables or not bodies:
        return []
    documented: set[str] = set()
    listed: dict[str, tuple[int, str]] = {}  # configuration-like names: (line, row text)
    for table in parameter_tables:
        for line, cells, spans in table.rows:
            documented.update(_names_in_row(cells, spans))
            for name in _names_in_row(cells[:1], spans[:1]):
                if CONFIG_KEY_RE.fullmatch(name):
                    listed.setdefault(name, (line, " ".join(cells)))
    events_elsewhere = bool(_ELSEWHERE_RE.search(ctx.rendered.text))
    found = []
    for example, located, configuration, prefix in bodies:
        for key in configuration:
            if key in documented or (events_elsewhere and re.match(r"events?\.", key)):
                continue
            found.append(
                ctx.at_path(
                    example,
                    located,
                    (*prefix, key),
                    "ED230",
                    f"configuration key '{key}' is not in the Parameters table",
                    key=True,
                )
            )
    every_key = {key for _, _, configuration, _ in bodies for key in configuration}
    for _, command, body in curls:  # cURL bodies, read tolerantly when they do not parse
        value = body.value if body is not None else None
        if value is None and command.data is not None:
            meant = tolerant_read(command.data.text)
            value = meant.value if meant is not None else None
        every_key |= configuration_keys(value)
    for name, (line, row) in listed.items():
        if name in every_key or re.search(r"optional", row, re.IGNORECASE):
            continue
        if any(name.startswith(key + ".") or key.startswith(name + ".") for key in every_key):
            continue
        found.append(
            ctx.at_rendered_line(
                line,
                "ED230",
                f"the Parameters table lists '{name}', which no request body of the page sends",
            ).with_severity(Severity.WARNING)
        )
    return found
