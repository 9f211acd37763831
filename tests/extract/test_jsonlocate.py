"""jsonlocate: json.loads' values, plus where every value is written and plain-word errors."""

from __future__ import annotations

import json
import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.extract.jsonlocate import (
    MAX_DEPTH,
    JSONLocateError,
    JSONPath,
    LocatedJSON,
    Position,
    format_path,
    parse,
)

# property tests: FUZZ_EXAMPLES=5000 for a longer run (see docs/robustness.md)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))

DOC = """\
{
  "element": {
    "key": "autotaskcrm",
\t"id": 41
  },
  "tags": ["crm", {"b": null}],
  "ratio": -1.5e3,
  "a.b": true
}"""


def offset_of(text: str, position: Position) -> int:
    """The string index of a 1-based line/column."""
    lines = text.split("\n")
    return sum(len(line) + 1 for line in lines[: position.line - 1]) + position.col - 1


def error_of(text: str) -> JSONLocateError:
    with pytest.raises(JSONLocateError) as caught:
        parse(text)
    return caught.value


# --- positions --------------------------------------------------------------------------------


def test_value_is_what_json_loads_returns() -> None:
    assert parse(DOC).value == json.loads(DOC)


@pytest.mark.parametrize(
    ("path", "line", "col"),
    [
        ((), 1, 1),
        (("element",), 2, 14),
        (("element", "key"), 3, 12),
        (("element", "id"), 4, 8),  # a tab is one column
        (("tags",), 6, 11),
        (("tags", 0), 6, 12),
        (("tags", 1), 6, 19),
        (("tags", 1, "b"), 6, 25),
        (("ratio",), 7, 12),
        (("a.b",), 8, 10),
    ],
)
def test_positions_of_values_in_a_multiline_document(path: JSONPath, line: int, col: int) -> None:
    assert parse(DOC).positions[path] == Position(line, col)


def test_key_positions_point_at_the_opening_quote_of_the_key() -> None:
    located = parse(DOC)
    assert located.key_positions[("element",)] == Position(2, 3)
    assert located.key_positions[("element", "id")] == Position(4, 2)
    assert located.key_positions[("tags", 1, "b")] == Position(6, 20)
    assert () not in located.key_positions and ("tags", 0) not in located.key_positions


def test_position_of_a_missing_member_is_its_nearest_existing_parent() -> None:
    located = parse(DOC)
    assert located.position_of(("element", "name")) == Position(2, 14)
    assert located.position_of(("tags", 1, "c", "d")) == Position(6, 19)
    assert located.position_of(("nothing",)) == Position(1, 1)


def test_duplicate_keys_are_reported_and_the_last_value_wins() -> None:
    text = '{\n  "a": {"x": [1, 2]},\n  "b": 1,\n  "a": 3\n}'
    located = parse(text)
    assert located.value == json.loads(text) == {"a": 3, "b": 1}
    assert located.duplicate_keys == [(("a",), Position(4, 3))]
    assert located.positions[("a",)] == Position(4, 8)
    # the discarded first value's members are gone, so no path points at stale text
    assert not any(path[:1] == ("a",) and len(path) > 1 for path in located.positions)


def test_format_path() -> None:
    assert format_path(()) == "$"
    assert format_path(("element", "key")) == "$.element.key"
    assert format_path(("tags", 0)) == "$.tags[0]"
    assert format_path(("a.b", "c d", "_ok1")) == '$["a.b"]["c d"]._ok1'
    assert format_path(("1st",)) == '$["1st"]'


def test_located_json_can_be_built_by_hand() -> None:
    located = LocatedJSON({"a": 1}, {(): Position(1, 1)})
    assert located.position_of(("a",)) == Position(1, 1)
    assert located.key_positions == {} and located.duplicate_keys == []


# --- same acceptance and values as json.loads -------------------------------------------------

VALID = [
    "{}",
    "[]",
    " \t\n\r[ ]\r\n",
    '""',
    "0",
    "-0",
    "-0.0",
    "1.5E+10",
    "1e-7",
    "1E400",
    "-12",
    "123456789012345678901234567890",
    "true",
    "false",
    "null",
    '"\\u00e9\\ud83d\\ude00"',
    '"\\ud800"',
    '"\\udc00\\ud800x"',
    '"\\"\\\\\\/\\b\\f\\n\\r\\t"',
    '"caf\u00e9 \u2028"',
    '{"a": {"b": {"c": [[], [{}], [1, [2, [3]]]]}}}',
    '{"": "", " ": 0}',
    '[1,2,3,4.5,"x",null,true,false,{"k":[]}]',
    '{"a":1,"a":2}',
    '\t{\n\t\t"indented": [\n\t\t\t1\n\t\t]\n\t}\n',
]


@pytest.mark.parametrize("text", VALID)
def test_accepts_what_json_loads_accepts_with_the_same_value(text: str) -> None:
    value = parse(text).value
    expected = json.loads(text)
    assert value == expected
    # json.dumps also tells 1 from 1.0 and True from 1
    assert json.dumps(value) == json.dumps(expected)


# --- errors: plain words, at the offending character ------------------------------------------

ERRORS = [
    # (text, line, col, words in the message)
    ('{\n  "a": 1\n  "b": 2\n}', 3, 3, "missing comma between object members"),
    ("[1 2]", 1, 4, "missing comma between array elements"),
    ('[\n  {"a": 1}\n  {"a": 2}\n]', 3, 3, "missing comma between array elements"),
    ('{\n  "a": 1,\n}', 2, 9, "trailing comma before '}'"),
    ("[1, 2, ]", 1, 6, "trailing comma before ']'"),
    ("{key: 1}", 1, 2, "object key must be a double-quoted string"),
    ("{'key': 1}", 1, 2, "strings use double quotes in JSON, not single quotes"),
    ("{\"a\": 'b'}", 1, 7, "strings use double quotes in JSON, not single quotes"),
    ('{"a": "one\ntwo"}', 1, 11, "raw line break inside a string"),
    ('{\n  "a": "one,\n  "b": 2\n}', 2, 8, "unterminated string"),
    ('"abc', 1, 1, "unterminated string"),
    ('{"a": 1}}', 1, 9, "no object is open"),
    ("[1]]", 1, 4, "no array is open"),
    ('{"a": 1} {"b": 2}', 1, 10, "unexpected text after the JSON value"),
    ('{\n  // a note\n  "a": 1\n}', 2, 3, "comments are not allowed in JSON"),
    ("[1, /* two */ 2]", 1, 5, "comments are not allowed in JSON"),
    ('{"a": 1 // note\n}', 1, 9, "comments are not allowed in JSON"),
    ('{"zip": 01234}', 1, 9, "invalid number"),
    ("[1.]", 1, 2, "invalid number"),
    ("[.5]", 1, 2, "invalid number"),
    ("[+1]", 1, 2, "invalid number"),
    ("[-]", 1, 2, "invalid number"),
    ("[0x1F]", 1, 2, "invalid number"),
    ('{\n  "a": [1, 2\n', 2, 13, "unexpected end of input: '[' opened at line 2 is not closed"),
    ('{\n  "a": 1\n\n', 2, 9, "unexpected end of input: '{' opened at line 1 is not closed"),
    ('"a\\qb"', 1, 3, "invalid escape"),
    ('"\\u12g4"', 1, 2, "invalid escape"),
    ('"a\\\nb"', 1, 3, "invalid escape"),  # a backslash before a line break
    ('"a\tb"', 1, 3, "control character"),
    ('{"ok": True}', 1, 8, "invalid literal (true, false and null are lowercase)"),
    ("[NULL]", 1, 2, "invalid literal"),
    ("[nul]", 1, 2, "invalid literal"),
    ("[NaN]", 1, 2, "NaN and Infinity are not valid JSON"),
    ("[-Infinity]", 1, 2, "NaN and Infinity are not valid JSON"),
    ("[1, 2}", 1, 6, "unexpected '}'"),
    ('{"a": 1]', 1, 8, "unexpected ']'"),
    ('{"a" 1}', 1, 6, "missing ':'"),
    ('{"a": }', 1, 7, "missing value"),
    ("[1,,2]", 1, 4, "unexpected ','"),
    ("", 1, 1, "empty document"),
    ("  \n ", 1, 1, "empty document"),
    ('{"a":\u00a01}', 1, 6, "U+00A0"),
    ("\ufeff{}", 1, 1, "byte order mark"),
    ('{"a": \u201cb\u201d}', 1, 7, "straight double quotes"),
    ("[undefined]", 1, 2, "undefined"),
    ("[hello]", 1, 2, "strings must be in double quotes"),
]


@pytest.mark.parametrize(("text", "line", "col", "words"), ERRORS)
def test_errors_point_at_the_offending_character(
    text: str, line: int, col: int, words: str
) -> None:
    error = error_of(text)
    assert (error.line, error.col) == (line, col), error.message
    assert words in error.message
    assert "\n" not in error.message and "\n" not in error.hint
    assert error.hint, "every error tells how to fix it"


def test_missing_comma_hint_names_the_line_to_fix() -> None:
    assert "end of line 2" in error_of('{\n  "a": 1\n  "b": 2\n}').hint


def test_raw_line_break_is_told_apart_from_a_missing_closing_quote() -> None:
    # the text goes on and ends in a quote followed by ',': a string written on two lines
    assert "raw line break" in error_of('{"a": "one\ntwo", "b": 1}').message
    # nothing plausibly closes it: the closing quote was forgotten
    assert "unterminated" in error_of('{"a": "one\n}').message


def test_error_str_has_position_and_message() -> None:
    assert str(error_of("[1 2]")) == "line 1, col 4: missing comma between array elements"


def test_deep_nesting_is_an_error_not_a_recursion_error() -> None:
    error = error_of("[" * 100_000)
    assert error.message == f"nesting deeper than {MAX_DEPTH} levels"
    assert (error.line, error.col) == (1, MAX_DEPTH + 1)
    assert "nesting deeper" in error_of('{"a":' * 1000).message
    assert parse("[" * MAX_DEPTH + "]" * MAX_DEPTH).value == json.loads(
        "[" * MAX_DEPTH + "]" * MAX_DEPTH
    )


def test_huge_integer_is_a_located_error() -> None:
    error = error_of("[" + "1" * 5000 + "]")
    assert (error.line, error.col) == (1, 2) and "too many digits" in error.message


def test_a_50_kb_document_parses_quickly() -> None:
    item = {
        "id": 1,
        "name": "Autotask CRM",
        "element": {
            "key": "autotaskcrm",
            "active": True,
            "description": "Connect your Autotask account to the CRM hub " * 2,
        },
        "tags": ["a", "b"],
        "ratio": 0.5,
        "token": None,
    }
    text = json.dumps([dict(item, id=i) for i in range(160)], indent=2)
    assert len(text) > 50_000
    best = min(_timed(text) for _ in range(5))
    # a few ms on a laptop; the bound is loose so a busy CI machine does not fail
    assert best < 0.25


def _timed(text: str) -> float:
    start = time.perf_counter()
    parse(text)
    return time.perf_counter() - start


# --- properties -------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=25,
)
indents = st.sampled_from([None, 0, 1, 2, 4, "\t"])


def walk(value: object, path: JSONPath = ()) -> dict[JSONPath, object]:
    """Every path of ``value`` with the value there."""
    found: dict[JSONPath, object] = {path: value}
    if isinstance(value, dict):
        for key, child in value.items():
            found.update(walk(child, (*path, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.update(walk(child, (*path, index)))
    return found


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values, indent=indents, ensure_ascii=st.booleans())
def test_every_position_starts_its_value(
    value: object, indent: int | str | None, ensure_ascii: bool
) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ensure_ascii)
    located = parse(text)
    assert json.dumps(located.value, indent=indent, ensure_ascii=ensure_ascii) == text
    expected = walk(value)
    assert set(located.positions) == set(expected)
    decoder = json.JSONDecoder()
    for path, position in located.positions.items():
        decoded, _ = decoder.raw_decode(text, offset_of(text, position))
        assert decoded == expected[path]
    for path, position in located.key_positions.items():
        decoded, _ = decoder.raw_decode(text, offset_of(text, position))
        assert decoded == path[-1]
    assert located.duplicate_keys == []


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text())
def test_any_text_raises_only_jsonlocateerror(text: str) -> None:
    try:
        parse(text)
    except JSONLocateError as error:
        assert_inside(text, error)


JSONISH = " \t\n{}[],:\"\\/*0123456789.eE+-truefalsnul'x"


@st.composite
def near_json(draw: st.DrawFn) -> str:
    """Valid JSON with a few single-character edits: mostly broken, sometimes still valid."""
    text = json.dumps(draw(json_values), indent=draw(indents))
    for _ in range(draw(st.integers(0, 3))):
        index = draw(st.integers(0, len(text)))
        char = draw(st.sampled_from(JSONISH))
        edit = draw(st.sampled_from(["insert", "delete", "replace"]))
        if edit == "insert":
            text = text[:index] + char + text[index:]
        elif edit == "delete":
            text = text[:index] + text[index + 1 :]
        else:
            text = text[:index] + char + text[index + 1 :]
    return text


def _reject_constant(name: str) -> object:
    raise ValueError(name)  # NaN/Infinity: refused on purpose


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.one_of(near_json(), st.text(alphabet=JSONISH, max_size=30)))
def test_agrees_with_json_loads(text: str) -> None:
    try:
        expected = json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        with pytest.raises(JSONLocateError) as caught:
            parse(text)
        assert_inside(text, caught.value)
    else:
        assert json.dumps(parse(text).value) == json.dumps(expected)


def assert_inside(text: str, error: JSONLocateError) -> None:
    """An error points at a character of the text, or just after the end of a line."""
    lines = text.split("\n")
    assert 1 <= error.line <= len(lines)
    assert 1 <= error.col <= len(lines[error.line - 1]) + 1
    assert error.message and "\n" not in error.message
