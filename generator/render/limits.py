"""Resource and repr guards: every operation a template runs is sized before it runs, and what it
prints may hold no internal object.
"""

from __future__ import annotations

import builtins
import itertools
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

import jinja2
import jinja2.compiler
import jinja2.nodes

from generator.render.liquid import filters as liquid_filters
from generator.render.state import RenderLimitError, current_state
from generator.settings import Settings


class Measured(Protocol):
    """The environment as these guards see it: its limits, and its measure of printed text."""

    settings: Settings

    def text_size(self, *values: Any) -> int | str: ...


MAX_INT_BITS = liquid_filters.MAX_INT_BITS  # the most bits an integer made by * or ** may have


#: the most items a count-type argument (batch, slice, lipsum) may ask for
MAX_ITEMS = 100_000


_PRINTF_RE = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")


SPEC_NUMBER_RE = re.compile(r"\d+")


def too_large(what: str, size: int | str, limit: int) -> RenderLimitError:
    shown = f"{size:,}" if isinstance(size, int) else size
    return RenderLimitError(
        f"{what} would make about {shown} characters, past the size limit of {limit:,} (memory)"
    )


def number_text(text: str) -> int:
    return int(text) if len(text) < 12 else 10**12


def int_arg(
    args: tuple[Any, ...], kwargs: Mapping[str, Any], index: int, name: str, default: Any
) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def int_of(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return number_text(value.strip().lstrip("-"))
    return 0


def _text_of(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _lines(text: str) -> int:
    return text.count("\n") + 1


def estimate_filter(name: str, value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """What filter ``name`` would make of ``value``, in characters or items, where that can
    be far more than its input; 0 for the others."""
    text = _text_of(value)
    if name == "center":
        return int_of(int_arg(args, kwargs, 0, "width", 80))
    if name == "indent":
        width = int_arg(args, kwargs, 0, "width", 4)
        each = len(width) if isinstance(width, str) else int_of(width)
        return len(text) + max(each, 0) * _lines(text)
    if name == "wordwrap":
        wrap = int_arg(args, kwargs, 2, "wrapstring", None)
        return len(text) * (1 + len(wrap if isinstance(wrap, str) else "\n"))
    if name in ("replace", "replace_first", "replace_last"):
        old = liquid_filters.to_text(int_arg(args, kwargs, 0, "old", ""))
        new = liquid_filters.to_text(int_arg(args, kwargs, 1, "new", ""))
        count = text.count(old) if old else len(text) + 1
        if name != "replace":
            count = min(count, 1)
        return len(text) + count * max(0, len(new) - len(old))
    if name == "join":
        separator = int_arg(args, kwargs, 0, "d", "")
        items = len(value) if isinstance(value, list | tuple) else 0
        return items * len(separator if isinstance(separator, str) else "")
    if name in ("batch", "slice"):
        return (
            int_of(int_arg(args, kwargs, 0, "linecount" if name == "batch" else "slices", 1)) * 50
        )  # each a list: past MAX_ITEMS
    if name == "times":
        left, right = value, int_arg(args, kwargs, 0, "operand", 0)
        if (
            isinstance(left, int)
            and isinstance(right, int)
            and left.bit_length() + right.bit_length() > MAX_INT_BITS
        ):
            raise RenderLimitError(
                f"a product would have more than {MAX_INT_BITS:,} bits, "
                "past the size limit for numbers"
            )
    if name == "date":
        return len(liquid_filters.to_text(int_arg(args, kwargs, 0, "pattern", ""))) * 16
    return 0


#: filters that do not turn their whole value into text (their value is not measured)
STRUCTURAL_FILTERS = frozenset(
    [
        "length",
        "count",
        "size",
        "first",
        "last",
        "list",
        "sort",
        "dictsort",
        "unique",
        "reverse",
        "map",
        "select",
        "reject",
        "selectattr",
        "rejectattr",
        "groupby",
        "batch",
        "slice",
        "sum",
        "min",
        "max",
        "random",
        "items",
        "attr",
        "default",
        "d",
        "liquid_default",
        "where",
        "find",
        "group_by",
        "uniq",
        "compact",
        "concat",
        "liquid_map",
        "liquid_sort",
        "sort_natural",
        "liquid_reverse",
        "liquid_slice",
        "push",
        "pop",
        "shift",
        "unshift",
        "each",
        "abs",
        "int",
        "float",
        "round",
        "plus",
        "minus",
        "times",
        "divided_by",
        "modulo",
        "at_least",
        "at_most",
        "ceil",
        "floor",
        "liquid_round",
        "to_integer",
    ]
)


def printf_size(env: Measured, fmt: str, args: Any) -> int | str:
    """What ``fmt % args`` would make (or a problem marker: ``args`` holds internals)."""
    limit = env.settings.max_output_chars
    star = False
    for match in _PRINTF_RE.finditer(fmt):
        for group in match.groups():
            if group == "*":
                star = True
            elif group and number_text(group) > limit:
                raise too_large("a % format width", number_text(group), limit)
    values = args if isinstance(args, tuple) else (args,)
    if star and any(isinstance(v, int) and abs(v) > limit for v in values):
        raise too_large(
            "a % format width", max(abs(v) for v in values if isinstance(v, int)), limit
        )
    return env.text_size(fmt, args)


def is_iterator(value: Any) -> bool:
    return isinstance(value, Iterator) and not isinstance(value, str | jinja2.Undefined)


def materialized(value: Iterator[Any]) -> list[Any]:
    """The items of an iterator (a filter's generator), at most MAX_ITEMS of them."""
    items = list(itertools.islice(value, MAX_ITEMS + 1))
    if len(items) > MAX_ITEMS:
        raise RenderLimitError(f"more than {MAX_ITEMS:,} items in one sequence (size limit)")
    return items


def bounded_lipsum(env: Measured) -> Callable[..., str]:
    from jinja2.utils import generate_lorem_ipsum

    def lipsum(n: Any = 5, html: Any = True, min: Any = 20, max: Any = 100) -> str:
        words = int_of(n) * builtins.max(int_of(min), int_of(max))
        if int_of(n) > MAX_ITEMS or words * 12 > env.settings.max_output_chars:
            raise too_large("lipsum", words * 12, env.settings.max_output_chars)
        return generate_lorem_ipsum(n, html, min, max)

    return lipsum


def value_size(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value)
    if isinstance(value, str | list | tuple):
        return len(value)
    return 1


PRINTABLE = (str, int, float, bool, type(None), list, tuple, dict, jinja2.Undefined)


def internal_problem(kind: str) -> str:
    """A problem marker for printing an object that is not data."""
    return current_state().problem(
        "ED307",
        f"forbidden in templates: printing a {kind} object",
        "print values (page, site and include data), not template internals, functions or methods",
    )
