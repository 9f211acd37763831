"""Liquid's filters, tests and values for the Jinja environment, with Liquid's meaning.

Registered in every environment (Jinja content may use them too). Names follow
``translate.py``: Liquid filters keep their name unless a Jinja built-in of that name means
something else, in which case ours is ``liquid_<name>``.

An undefined value given to a filter that transforms text stays undefined (so printing it
still reports it where it stands, ED302); filters that make a new value from it treat it as
Liquid treats nil (``size`` is 0, ``split`` gives no items, ``append`` keeps its argument).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import decimal
import html
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus

import jinja2
from jinja2.runtime import Undefined
from jinja2.utils import Namespace, pass_context

from generator.render.state import RenderLimitError

__all__ = [
    "FILTERS",
    "TESTS",
    "BoundedNamespace",
    "LiquidVars",
    "finalize",
    "lookup_var",
    "liquid_attribute",
    "measure",
    "Internal",
    "TooLarge",
]


class BoundedNamespace(Namespace):
    """Jinja's ``namespace()``, whose values are held to TEXT_LIMIT: a loop that sets
    ``ns.v = [ns.v, ns.v]`` makes a value that prints as more text than memory holds."""

    def __setitem__(self, name: str, value: Any) -> None:
        # A text or a list is held to its length (what memory it takes). A list of lists
        # takes memory by its distinct parts, however large it prints (that is measured
        # where it is printed): here only a small one is measured, so that a value of
        # the site's data, assigned on every page, costs nothing.
        size = len(value) if isinstance(value, str | list | tuple) else 0
        if isinstance(value, list | tuple) and size < 64:
            with contextlib.suppress(Internal):  # kept, and refused where it is printed
                size = measure(value)
        if size > TEXT_LIMIT:
            raise TooLarge(
                f"a value set on a namespace would print as more than "
                f"{TEXT_LIMIT:,} characters (size limit)"
            )
        super().__setitem__(name, value)


class LiquidVars(BoundedNamespace):
    """``vars``: the one variable scope of a render, shared by a page and its includes."""


def lookup_var(scope: Any, key: str) -> Any:
    """The value of ``key`` in a LiquidVars, or jinja2's ``missing``."""
    attrs: dict[str, Any] = object.__getattribute__(scope, "_Namespace__attrs")
    return attrs.get(key, jinja2.utils.missing)


# --- what printing a value takes --------------------------------------------------------------

#: the most characters a value may print as here (the renderer's own limit is lower): a
#: list that holds itself many times over prints as more text than memory holds
TEXT_LIMIT = 10_000_000
#: the most bits an integer may have (Python prints at most 4,300 digits); the renderer's
#: own guards (``render/limits.py``) use the same
MAX_INT_BITS = 14_000


class Internal(Exception):
    """A value holds something that is not data (a function, a method, a template
    object): printing it would put Python's internals, and addresses, into a page."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class TooLarge(RenderLimitError):
    """A value would print as more text than the limit."""


_SCALARS = (
    str,
    int,
    float,
    bool,
    type(None),
    bytes,
    _dt.date,
    _dt.time,
    _dt.timedelta,
    decimal.Decimal,
    range,
)
_CONTAINERS: tuple[type, ...] = (
    list,
    tuple,
    set,
    frozenset,
    Mapping,
    type({}.keys()),
    type({}.values()),
    type({}.items()),
)


def measure(value: Any, limit: int = TEXT_LIMIT) -> int:
    """About how many characters ``value`` prints as (``str`` of it, its items' ``repr``),
    counted only to just past ``limit``; each list or mapping is measured once, however
    often it is held. Internal for anything that is not data."""
    memo: dict[int, int] = {}

    def size(item: Any) -> int:
        kind = type(item)
        if kind is str:
            return len(item)
        if kind is int:
            return limit + 1 if item.bit_length() > MAX_INT_BITS else item.bit_length() // 3 + 2
        if kind is float or kind is bool or item is None:
            return 24
        if isinstance(item, Undefined):
            return 32
        if isinstance(item, _CONTAINERS):
            key = id(item)
            found = memo.get(key)
            if found is not None:
                return found
            memo[key] = limit + 1  # (a value that holds itself: as too large)
            total = 2
            parts: Iterable[Any] = item.items() if isinstance(item, Mapping) else item  # type: ignore[assignment]
            for part in parts:
                total += size(part) + 2
                if total > limit:
                    break
            memo[key] = total
            return total
        if isinstance(item, str):
            return len(item)
        if isinstance(item, int):
            return size(int(item))
        if isinstance(item, _SCALARS):
            return 40
        raise Internal(kind.__name__)

    return size(value)


def _bounded(value: Any) -> Any:
    """``value``, or TooLarge when it would print as more than TEXT_LIMIT characters."""
    if isinstance(value, list | tuple | Mapping) and measure(value) > TEXT_LIMIT:
        raise TooLarge(f"a value would print as more than {TEXT_LIMIT:,} characters (size limit)")
    return value


# --- values --------------------------------------------------------------------------------


def _undefined(value: Any) -> bool:
    return isinstance(value, Undefined)


def _nil(value: Any) -> bool:
    return value is None or isinstance(value, Undefined)


def to_text(value: Any) -> str:
    """A value as Liquid prints it: nil empty, booleans lower case, arrays joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "".join(to_text(v) for v in _bounded(value))
    if isinstance(value, Undefined):
        return str(value)  # the problem marker: reported where it is printed
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return repr(value)
    if isinstance(value, _dt.date):
        return time_text(value)
    if isinstance(value, Mapping):
        return ruby_inspect(_bounded(value))  # Liquid prints a hash as Ruby inspects it
    return str(value)


def time_text(value: _dt.date) -> str:
    """A date or time as Jekyll prints it (Ruby's Time and Date): '2023-02-01 10:30:00
    +0000', '2023-02-01'. A time without a zone is taken as UTC."""
    if isinstance(value, _dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S ") + (value.strftime("%z") or "+0000")
    return value.isoformat()


def finalize(value: Any) -> Any:
    """What ``{{ }}`` prints (the environment's finalize): Liquid's rendering of nil,
    booleans and arrays, instead of Python's ``None``, ``True`` and ``[1, 2]``."""
    if value is None or isinstance(value, bool | list | tuple | _dt.date | Mapping):
        return to_text(value)
    return value


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or _nil(value):
        return 0
    if isinstance(value, int | float):
        return value
    if not isinstance(value, str):
        return 0  # an array or hash is no number (and is not printed to find out)
    text = value.strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return 0


def _items(value: Any) -> list[Any]:
    """A value as Liquid's array filters see it."""
    if _nil(value):
        return []
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return list(value)
    return [value]


def _get(item: Any, key: Any) -> Any:
    if isinstance(item, Mapping):
        return item.get(key)
    if isinstance(item, list | tuple) and isinstance(key, int):
        return item[key] if -len(item) <= key < len(item) else None
    return None


def liquid_attribute(obj: Any, name: str) -> Any:
    """``x.size``, ``x.first``, ``x.last`` as Liquid reads them when ``x`` has no such key;
    jinja2's ``missing`` when they do not apply."""
    if name == "size" and isinstance(obj, str | list | tuple | Mapping):
        return len(obj)
    if name in ("first", "last") and isinstance(obj, list | tuple) and obj:
        return obj[0] if name == "first" else obj[-1]
    return jinja2.utils.missing


# --- tests ---------------------------------------------------------------------------------


def is_truthy(value: Any) -> bool:
    """Liquid's truth: everything but nil and false (an empty string, 0 and [] are true)."""
    return not (_nil(value) or value is False)


def is_nil(value: Any) -> bool:
    return _nil(value)


def is_empty(value: Any) -> bool:
    """``x == empty``: an empty string, array or hash (nil is not empty)."""
    return isinstance(value, str | list | tuple | Mapping) and len(value) == 0


def is_blank(value: Any) -> bool:
    """``x == blank``: nil, false, or an empty or whitespace-only string, array or hash.

    Jekyll's Liquid asks the value for Ruby's ``blank?``, which only ActiveSupport defines:
    this is Jekyll with a plugin that loads it (jekyll-mentions, the github-pages set), as
    tests/jekyll/test_jekyll_differential.py builds. Without one, ``== blank`` is never
    true in Jekyll."""
    if _nil(value) or value is False:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | Mapping):
        return len(value) == 0
    return False


def is_containing(value: Any, item: Any) -> bool:
    """``a contains b``: a substring of a string, a member of an array or key of a hash."""
    if _nil(value) or _nil(item):
        return False
    if isinstance(value, str):
        return to_text(item) in value
    if isinstance(value, list | tuple | Mapping):
        return item in value
    return False


TESTS: dict[str, Callable[..., bool]] = {
    "truthy": is_truthy,
    "nil": is_nil,
    "empty": is_empty,
    "blank": is_blank,
    "containing": is_containing,
}


# --- text filters --------------------------------------------------------------------------


def _text_filter(function: Callable[..., str]) -> Callable[..., Any]:
    """A filter over text: nil gives "", undefined stays undefined (reported when printed)."""

    def wrapper(value: Any, *args: Any, **kwargs: Any) -> Any:
        if _undefined(value):
            return value
        return function("" if value is None else to_text(value), *args, **kwargs)

    wrapper.__name__ = function.__name__
    wrapper.__doc__ = function.__doc__
    return wrapper


def _arg(value: Any) -> str:
    return "" if _nil(value) else to_text(value)


@_text_filter
def upcase(text: str) -> str:
    return text.upper()


@_text_filter
def downcase(text: str) -> str:
    return text.lower()


@_text_filter
def strip(text: str) -> str:
    return text.strip()


@_text_filter
def lstrip(text: str) -> str:
    return text.lstrip()


@_text_filter
def rstrip(text: str) -> str:
    return text.rstrip()


@_text_filter
def strip_newlines(text: str) -> str:
    return re.sub(r"\r?\n", "", text)


@_text_filter
def newline_to_br(text: str) -> str:
    return re.sub(r"\r?\n", "<br />\n", text)


_HTML_DROP = re.compile(r"<script.*?</script>|<!--.*?-->|<style.*?</style>", re.S | re.I)


@_text_filter
def strip_html(text: str) -> str:
    return re.sub(r"<.*?>", "", _HTML_DROP.sub("", text), flags=re.S)


def append(value: Any, suffix: Any) -> str:
    return ("" if value is None else to_text(value)) + _arg(suffix)


def prepend(value: Any, prefix: Any) -> str:
    return _arg(prefix) + ("" if value is None else to_text(value))


@_text_filter
def remove(text: str, what: Any) -> str:
    return text.replace(_arg(what), "")


@_text_filter
def remove_first(text: str, what: Any) -> str:
    return text.replace(_arg(what), "", 1)


@_text_filter
def remove_last(text: str, what: Any) -> str:
    head, found, tail = text.rpartition(_arg(what))
    return head + tail if found else text


@_text_filter
def replace_first(text: str, old: Any, new: Any = "") -> str:
    return text.replace(_arg(old), _arg(new), 1)


@_text_filter
def replace_last(text: str, old: Any, new: Any = "") -> str:
    head, found, tail = text.rpartition(_arg(old))
    return head + _arg(new) + tail if found else text


@_text_filter
def liquid_truncate(text: str, length: Any = 50, ellipsis: Any = "...") -> str:
    """Liquid's truncate: at most ``length`` characters, the ellipsis included."""
    size, end = int(_number(length)), _arg(ellipsis)
    if len(text) <= size:
        return text
    return text[: max(0, size - len(end))] + end


@_text_filter
def truncatewords(text: str, words: Any = 15, ellipsis: Any = "...") -> str:
    count = max(1, int(_number(words)))
    parts = text.split()
    if len(parts) <= count:
        return text
    return " ".join(parts[:count]) + _arg(ellipsis)


@_text_filter
def escape_once(text: str) -> str:
    return html.escape(html.unescape(text), quote=True).replace("&#x27;", "&#39;")


@_text_filter
def xml_escape(text: str) -> str:
    return html.escape(text, quote=True).replace("&#x27;", "&#39;")


@_text_filter
def url_encode(text: str) -> str:
    return quote_plus(text)


@_text_filter
def cgi_escape(text: str) -> str:
    return quote_plus(text)


@_text_filter
def uri_escape(text: str) -> str:
    return quote(text, safe="!#$&'()*+,/:;=?@[]~-._")


@_text_filter
def url_decode(text: str) -> str:
    return unquote_plus(text)


@_text_filter
def normalize_whitespace(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@_text_filter
def slugify(text: str, mode: Any = "default") -> str:
    """Jekyll's slugify: lower case, runs of other characters become one hyphen."""
    mode = _arg(mode) or "default"
    if mode == "none":
        return text
    if mode in ("ascii", "latin"):
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    if mode == "raw":
        pattern = r"\s+"
    elif mode == "pretty":
        pattern = r"[^\w._~!$&'()+,;=@]+"
    elif mode in ("ascii",):
        pattern = r"[^a-zA-Z0-9]+"
    else:
        pattern = r"[^\w]+|_+"
    return re.sub(pattern, "-", text).strip("-").lower()


def number_of_words(value: Any) -> int:
    return len(_arg(value).split())


def split(value: Any, separator: Any = " ") -> list[str]:
    """Ruby's split: a space splits on runs of blanks, trailing empty items are dropped."""
    if _nil(value):
        return []
    text, sep = to_text(value), _arg(separator)
    if sep == " ":
        return text.split()
    parts = text.split(sep) if sep else list(text)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def size(value: Any) -> int:
    if isinstance(value, str | list | tuple | Mapping):
        return len(value)
    return 0


def jsonify(value: Any) -> str:
    if _undefined(value):
        return str(value) + "null"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def inspect(value: Any) -> Any:
    """Jekyll's inspect: Ruby's inspect of the value, HTML-escaped."""
    if _undefined(value):
        return value
    return html.escape(ruby_inspect(_bounded(value)), quote=True).replace("&#x27;", "&#39;")


def ruby_inspect(value: Any) -> str:
    """A value as Ruby's inspect writes it, which is how Liquid prints a hash:
    {"name"=>"a", "id"=>7, "tags"=>["x", nil]}."""
    if value is None or isinstance(value, Undefined):
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if "e" in text and "." not in text.split("e")[0]:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        return text
    if isinstance(value, str):
        return '"' + _RUBY_ESCAPE.sub(_ruby_escape, value) + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(ruby_inspect(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return (
            "{" + ", ".join(f"{ruby_inspect(k)}=>{ruby_inspect(v)}" for k, v in value.items()) + "}"
        )
    if isinstance(value, _dt.date):
        return time_text(value)
    return ruby_inspect(str(value))


_RUBY_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')
_RUBY_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\x1b": "\\e", '"': '\\"', "\\": "\\\\"}


def _ruby_escape(match: re.Match[str]) -> str:
    char = match.group()
    return _RUBY_ESCAPES.get(char) or f"\\u{ord(char):04X}"


def markdownify(value: Any) -> Any:
    """Markdown to HTML, as Jekyll's converter does (here: markdown-it, GFM-like)."""
    if _undefined(value):
        return value
    from markdown_it import MarkdownIt

    return str(MarkdownIt("commonmark").enable("table").render(_arg(value)))


def liquid_default(value: Any, default: Any = "", allow_false: Any = False) -> Any:
    """Liquid's default: for nil, false (unless allow_false), and empty strings and arrays."""
    if _nil(value) or (value is False and not allow_false):
        return default
    if isinstance(value, str | list | tuple | Mapping) and len(value) == 0:
        return default
    return value


# --- numbers -------------------------------------------------------------------------------


def _numeric(function: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def wrapper(value: Any, operand: Any = 0) -> Any:
        result = function(_number(value), _number(operand))
        return (
            int(result)
            if isinstance(result, float)
            and result.is_integer()
            and isinstance(_number(value), int)
            and isinstance(_number(operand), int)
            else result
        )

    wrapper.__name__ = function.__name__
    return wrapper


@_numeric
def plus(a: Any, b: Any) -> Any:
    return a + b


@_numeric
def minus(a: Any, b: Any) -> Any:
    return a - b


@_numeric
def times(a: Any, b: Any) -> Any:
    return a * b


def divided_by(value: Any, divisor: Any) -> Any:
    a, b = _number(value), _number(divisor)
    if b == 0:
        raise ZeroDivisionError("divided_by: 0")
    if isinstance(a, int) and isinstance(b, int):
        return a // b
    return a / b


def modulo(value: Any, divisor: Any) -> Any:
    a, b = _number(value), _number(divisor)
    if b == 0:
        raise ZeroDivisionError("modulo: 0")
    return a % b


def at_least(value: Any, floor: Any) -> Any:
    return max(_number(value), _number(floor))


def at_most(value: Any, ceiling: Any) -> Any:
    return min(_number(value), _number(ceiling))


def ceil(value: Any) -> int:
    return math.ceil(_number(value))


def floor(value: Any) -> int:
    return math.floor(_number(value))


def liquid_round(value: Any, digits: Any = 0) -> Any:
    """Ruby's round: halves away from zero; no digits gives an integer."""
    places = int(_number(digits))
    number = decimal.Decimal(str(_number(value)))
    rounded = number.quantize(decimal.Decimal(1).scaleb(-places), decimal.ROUND_HALF_UP)
    return int(rounded) if places <= 0 else float(rounded)


def to_integer(value: Any) -> int:
    return int(_number(value))


# --- arrays --------------------------------------------------------------------------------


def each(value: Any, offset: Any = 0, limit: Any = None, reversed: Any = False) -> list[Any]:
    """What a Liquid ``for`` iterates: a hash as [key, value] pairs, a string as one item,
    nil as nothing; then ``offset:``, ``limit:`` and ``reversed`` (in Liquid's order)."""
    if _nil(value):
        items: list[Any] = []
    elif isinstance(value, Mapping):
        items = [[k, v] for k, v in value.items()]
    elif isinstance(value, str):
        items = [value] if value else []
    elif isinstance(value, Iterable):
        items = list(value)
    else:
        items = [value]
    start = max(0, int(_number(offset)))
    items = items[start:]
    if limit is not None and not _nil(limit):
        items = items[: max(0, int(_number(limit)))]
    if reversed:
        items.reverse()
    return items


def liquid_reverse(value: Any) -> list[Any]:
    return list(reversed(_items(value)))


def _sort_key(item: Any, key: Any, fold: bool) -> tuple[int, Any]:
    value = _get(item, key) if key is not None else item
    if _nil(value):
        return (1, "")
    if isinstance(value, str):
        return (0, (0, value.lower() if fold else value))
    if isinstance(value, bool):
        return (0, (1, int(value)))
    if isinstance(value, int | float):
        return (0, (1, value))
    return (0, (2, str(value)))


def liquid_sort(value: Any, key: Any = None, nils: Any = "first") -> list[Any]:
    """Liquid's sort: case-sensitive, by a property when given; nils first (Jekyll's
    ``sort: "key", "last"`` puts them last)."""
    items = _items(value)
    ordered = sorted(items, key=lambda i: _sort_key(i, key, False))
    if _arg(nils) != "last":
        blank = [i for i in ordered if _sort_key(i, key, False)[0] == 1]
        ordered = blank + [i for i in ordered if _sort_key(i, key, False)[0] == 0]
    return ordered


def sort_natural(value: Any, key: Any = None) -> list[Any]:
    return sorted(_items(value), key=lambda i: _sort_key(i, key, True))


def liquid_join(value: Any, glue: Any = " ") -> Any:
    """Liquid's join: the items of an array, nested arrays flattened, each as Liquid prints
    it (nil as nothing), with ``glue`` between them; any other value alone."""
    if _undefined(value):
        return value
    items: list[Any] = []
    todo = [iter(value if isinstance(value, list | tuple) else [value])]
    while todo:  # flattened without recursion, as deep as the value is
        item = next(todo[-1], _END)
        if item is _END:
            todo.pop()
        elif isinstance(item, list | tuple):
            todo.append(iter(item))
        else:
            items.append(item)
    separator = to_text(glue)
    if len(items) * len(separator) > TEXT_LIMIT:
        raise TooLarge(f"a value would print as more than {TEXT_LIMIT:,} characters (size limit)")
    return separator.join(to_text(item) for item in _bounded(items))


_END = object()


def liquid_map(value: Any, key: Any) -> list[Any]:
    return [_get(item, key) for item in _items(value)]


def where(value: Any, key: Any, target: Any = jinja2.utils.missing) -> list[Any]:
    """Items whose ``key`` equals ``target`` (compared as text, as Jekyll does; an array
    property matches when it holds the target); without a target, items where it is truthy."""
    out = []
    for item in _items(value):
        found = _get(item, key)
        if target is jinja2.utils.missing:
            if is_truthy(found):
                out.append(item)
        elif isinstance(found, list | tuple):
            if to_text(target) in [to_text(f) for f in found]:
                out.append(item)
        elif to_text(found) == to_text(target):
            out.append(item)
    return out


def find(value: Any, key: Any, target: Any) -> Any:
    matches = where(value, key, target)
    return matches[0] if matches else None


def group_by(value: Any, key: Any) -> list[dict[str, Any]]:
    groups: dict[str, list[Any]] = {}
    for item in _items(value):
        groups.setdefault(to_text(_get(item, key)), []).append(item)
    return [{"name": name, "items": items, "size": len(items)} for name, items in groups.items()]


def uniq(value: Any, key: Any = None) -> list[Any]:
    seen: list[Any] = []
    out = []
    for item in _items(value):
        marker = _get(item, key) if key is not None else item
        if marker not in seen:
            seen.append(marker)
            out.append(item)
    return out


def compact(value: Any, key: Any = None) -> list[Any]:
    return [i for i in _items(value) if not _nil(_get(i, key) if key is not None else i)]


def concat(value: Any, other: Any) -> list[Any]:
    return _items(value) + _items(other)


def liquid_slice(value: Any, start: Any, length: Any = 1) -> Any:
    begin, count = int(_number(start)), max(0, int(_number(length)))
    sequence: Any = _arg(value) if not isinstance(value, list | tuple) else list(value)
    if begin < 0:
        begin += len(sequence)
        if begin < 0:
            return "" if isinstance(sequence, str) else []
    return sequence[begin : begin + count]


def push(value: Any, item: Any) -> list[Any]:
    return [*_items(value), item]


def pop(value: Any, count: Any = 1) -> list[Any]:
    items = _items(value)
    return items[: max(0, len(items) - int(_number(count)))]


def shift(value: Any, count: Any = 1) -> list[Any]:
    return _items(value)[int(_number(count)) :]


def unshift(value: Any, item: Any) -> list[Any]:
    return [item, *_items(value)]


def array_to_sentence_string(value: Any, connector: Any = "and") -> str:
    items = [to_text(i) for i in _items(value)]
    word = _arg(connector) or "and"
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} {word} {items[1]}"
    return f"{', '.join(items[:-1])}, {word} {items[-1]}"


# --- dates ---------------------------------------------------------------------------------


def _to_datetime(value: Any) -> _dt.datetime | None:
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _dt.datetime.fromtimestamp(value, tz=_dt.UTC)
    text = _arg(value).strip()
    if text in ("now", "today"):
        return _dt.datetime.now()
    if re.fullmatch(r"\d+", text):
        return _dt.datetime.fromtimestamp(int(text), tz=_dt.UTC)
    try:
        return _dt.datetime.fromisoformat(text.replace(" +", "+").replace("Z", "+00:00"))
    except ValueError:
        pass
    for pattern in (
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%d %H:%M:%S",
        "%d %b %Y",
        "%B %d, %Y",
        "%b %d, %Y",
        "%Y/%m/%d",
    ):
        try:
            return _dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def date(value: Any, pattern: Any = None) -> Any:
    """strftime formatting (Ruby's directives are the C ones); input it cannot read as a
    date is returned unchanged, as Liquid does."""
    if _undefined(value):
        return value
    moment = _to_datetime(value)
    if moment is None or _nil(pattern) or not _arg(pattern):
        return value
    return moment.strftime(_ruby_directives(_arg(pattern), moment))


def _ruby_directives(pattern: str, moment: _dt.datetime) -> str:
    """Ruby's strftime directives that C's lacks or reads otherwise: %s (seconds since the
    epoch, of this moment, not of the machine's local time), %N (nanoseconds), %L (ms)."""
    if "%" not in pattern:
        return pattern
    stamp = moment if moment.tzinfo is not None else moment.replace(tzinfo=_dt.UTC)

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code == "s":
            return str(int(stamp.timestamp()))
        if code == "N":
            return f"{moment.microsecond * 1000:09d}"
        if code == "L":
            return f"{moment.microsecond // 1000:03d}"
        return match.group(0)

    return re.sub(r"%%|%([sNL])", lambda m: m.group(0) if m.group(0) == "%%" else one(m), pattern)


def date_to_xmlschema(value: Any) -> Any:
    moment = _to_datetime(value)
    return moment.isoformat() if moment else value


def date_to_rfc822(value: Any) -> Any:
    moment = _to_datetime(value)
    if moment is None:
        return value
    zone = moment.strftime("%z") or "+0000"  # a time without a zone: UTC
    return moment.strftime(f"%a, %d %b %Y %H:%M:%S {zone}")


def date_to_string(value: Any, kind: Any = None, style: Any = None) -> Any:
    """Jekyll's date_to_string: '01 Feb 2023'; with "ordinal", '1st Feb 2023', or with
    "ordinal" and "US", 'Feb 1st, 2023' (the style alone changes nothing, as in Jekyll)."""
    return _stringify_date(value, "%b", kind, style)


def date_to_long_string(value: Any, kind: Any = None, style: Any = None) -> Any:
    return _stringify_date(value, "%B", kind, style)


def _stringify_date(value: Any, month: str, kind: Any, style: Any) -> Any:
    moment = _to_datetime(value)
    if moment is None:
        return value
    if _arg(kind) != "ordinal":
        return moment.strftime(f"%d {month} %Y")
    day = f"{moment.day}" + (
        "th"
        if 11 <= moment.day % 100 <= 13
        else {1: "st", 2: "nd", 3: "rd"}.get(moment.day % 10, "th")
    )
    if _arg(style) == "US":
        return moment.strftime(f"{month} {day}, %Y")
    return moment.strftime(f"{day} {month} %Y")


# --- site-aware ----------------------------------------------------------------------------


def _site_value(context: Any, key: str) -> str:
    site = context.get("site")
    value = site.get(key) if isinstance(site, Mapping) else None
    return "" if _nil(value) else str(value)


@pass_context
def relative_url(context: Any, value: Any) -> Any:
    """Jekyll's relative_url: the site's baseurl before a path."""
    if _undefined(value):
        return value
    path = _arg(value)
    if re.match(r"^[a-z][a-z0-9+.-]*://", path):
        return path
    base = _site_value(context, "baseurl").rstrip("/")
    joined = f"{base}/{path.lstrip('/')}" if path else base or "/"
    return "/" + joined.lstrip("/") if not joined.startswith("/") else joined


@pass_context
def absolute_url(context: Any, value: Any) -> Any:
    if _undefined(value):
        return value
    path = _arg(value)
    if re.match(r"^[a-z][a-z0-9+.-]*://", path):
        return path
    return _site_value(context, "url").rstrip("/") + relative_url(context, path)


FILTERS: dict[str, Callable[..., Any]] = {
    function.__name__: function
    for function in (
        upcase,
        downcase,
        strip,
        lstrip,
        rstrip,
        strip_newlines,
        newline_to_br,
        strip_html,
        append,
        prepend,
        remove,
        remove_first,
        remove_last,
        replace_first,
        replace_last,
        liquid_truncate,
        truncatewords,
        escape_once,
        xml_escape,
        url_encode,
        cgi_escape,
        uri_escape,
        url_decode,
        normalize_whitespace,
        slugify,
        number_of_words,
        split,
        size,
        jsonify,
        inspect,
        markdownify,
        liquid_default,
        plus,
        minus,
        times,
        divided_by,
        modulo,
        at_least,
        at_most,
        ceil,
        floor,
        liquid_round,
        to_integer,
        each,
        liquid_reverse,
        liquid_sort,
        sort_natural,
        liquid_map,
        liquid_join,
        where,
        find,
        group_by,
        uniq,
        compact,
        concat,
        liquid_slice,
        push,
        pop,
        shift,
        unshift,
        array_to_sentence_string,
        date,
        date_to_xmlschema,
        date_to_rfc822,
        date_to_string,
        date_to_long_string,
        relative_url,
        absolute_url,
    )
}
