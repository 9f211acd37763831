"""curl: a cURL code block read the way a shell and curl would, with positions."""

from __future__ import annotations

import os
import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.extract.curl import CurlArg, CurlCommand, CurlParseError, parse_curl
from generator.extract.jsonlocate import JSONLocateError, parse

# property tests: FUZZ_EXAMPLES=5000 for a longer run (see docs/robustness.md)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))

CREATE_INSTANCE = """\
curl -X POST \\
  https://api.cloud-elements.com/elements/api-v2/instances \\
  -H 'authorization: User <USER_SECRET>, Organization <ORGANIZATION_SECRET>' \\
  -H 'content-type: application/json' \\
  -d '{
  "element": {
    "key": "autotaskcrm"
  }
}'"""


def error_of(text: str) -> CurlParseError:
    with pytest.raises(CurlParseError) as caught:
        parse_curl(text)
    return caught.value


def char_at(text: str, line: int, col: int) -> str:
    return text.split("\n")[line - 1][col - 1]


# --- the docs' create-instance example ----------------------------------------------------------


def test_create_instance_example() -> None:
    command = parse_curl(CREATE_INSTANCE)
    assert command.method == "POST" and command.effective_method == "POST"
    assert command.url == "https://api.cloud-elements.com/elements/api-v2/instances"
    assert command.url_arg is not None and (command.url_arg.line, command.url_arg.col) == (2, 3)
    assert [(name, value) for name, value, _ in command.headers] == [
        ("authorization", "User <USER_SECRET>, Organization <ORGANIZATION_SECRET>"),
        ("content-type", "application/json"),
    ]
    assert [(arg.line, arg.col) for _, _, arg in command.headers] == [(3, 6), (4, 6)]
    assert command.data is not None
    assert command.data.text == '{\n  "element": {\n    "key": "autotaskcrm"\n  }\n}'
    assert (command.data.line, command.data.col) == (5, 6)  # the opening quote
    assert (command.data_body_line, command.data_body_col) == (5, 7)  # the '{' after it
    assert command.user is None and command.other_options == []


def test_body_positions_map_onto_the_block() -> None:
    command = parse_curl(CREATE_INSTANCE)
    assert command.data is not None
    body = parse(command.data.text)
    key = body.positions[("element", "key")]
    line, col = command.data.source_position(key.line, key.col)
    assert (line, col) == (7, 12)
    assert CREATE_INSTANCE.split("\n")[line - 1][col - 1 :].startswith('"autotaskcrm"')


def test_double_quoted_body_with_escaped_quotes() -> None:
    text = (
        "curl -X POST https://x/instances \\\n"
        '  -d "{\\"name\\": \\"say \\\\\\"hi\\\\\\"\\", \\"cost\\": \\"\\$5\\"}"'
    )
    command = parse_curl(text)
    assert command.data is not None
    assert command.data.text == '{"name": "say \\"hi\\"", "cost": "$5"}'
    assert parse(command.data.text).value == {"name": 'say "hi"', "cost": "$5"}
    assert (command.data_body_line, command.data_body_col) == (2, 7)
    assert char_at(text, 2, 7) == "{"


def test_json_error_in_a_double_quoted_body_maps_to_the_exact_column() -> None:
    # the escapes make body columns and block columns differ; source_position corrects it
    text = 'curl -d "{\\"a\\": 1 \\"b\\": 2}" https://x'
    command = parse_curl(text)
    assert command.data is not None
    with pytest.raises(JSONLocateError) as caught:
        parse(command.data.text)
    line, col = command.data.source_position(caught.value.line, caught.value.col)
    assert (line, col) == (1, 21)
    assert text[col - 2 : col + 1] == '\\"b'  # the '"' that starts the member missing a comma


# --- shell words --------------------------------------------------------------------------------


def test_prompt_and_attached_option_values() -> None:
    command = parse_curl("$ curl -sXPOST -H'Accept: json' --header \"X-A:  b \" https://x")
    assert command.method == "POST"
    assert command.headers[0][:2] == ("accept", "json")
    assert (command.headers[0][2].line, command.headers[0][2].col) == (1, 18)
    assert command.headers[1][:2] == ("x-a", "b")
    assert command.url == "https://x"
    assert [arg.text for arg in command.other_options] == ["-s"]


def test_long_request_option_and_equals_form() -> None:
    assert parse_curl("curl --request PUT https://x").method == "PUT"
    command = parse_curl("curl --request=POST https://x")  # curl has no '=' form
    assert command.method is None
    assert [arg.text for arg in command.other_options] == ["--request=POST"]
    assert command.url == "https://x"


def test_quoting_rules() -> None:
    command = parse_curl(
        "curl -H Content-Type:\\ application/json 'https://x/a b' -d 'it'\\''s' -d \"a\\tb\\$c\""
    )
    assert command.headers[0][:2] == ("content-type", "application/json")
    assert command.url == "https://x/a b"
    assert command.data is not None
    assert command.data.text == "it's&a\\tb$c"  # \t is not an escape inside "..."


def test_backslash_newline_inside_quotes() -> None:
    single = parse_curl("curl -d 'a\\\nb' https://x")
    double = parse_curl('curl -d "a\\\nb" https://x')
    assert single.data is not None and single.data.text == "a\\\nb"  # literal in '...'
    assert double.data is not None and double.data.text == "ab"  # removed in "..."


def test_comments_and_blank_lines_before_the_command() -> None:
    command = parse_curl("# create an instance\n\ncurl https://x # a note\n")
    assert command.url == "https://x" and command.other_options == []
    assert command.url_arg is not None and command.url_arg.line == 3


def test_trailing_lone_backslash_is_tolerated() -> None:
    command = parse_curl("curl -X GET 'https://x' \\")
    assert (command.method, command.url) == ("GET", "https://x")


def test_crlf_line_endings() -> None:
    command = parse_curl("curl -X POST \\\r\n  -d '{}' \\\r\n  https://x\r\n")
    assert command.url == "https://x" and command.data is not None


@pytest.mark.parametrize(
    "text",
    [
        "curl https://x && echo done",
        "curl https://x; echo done",
        "curl https://x | jq .",
        "curl https://x > out.json 2>&1",
        "curl https://x\necho done",
    ],
)
def test_only_the_first_command_counts(text: str) -> None:
    command = parse_curl(text)
    assert command.url == "https://x" and command.other_options == []


def test_placeholders_in_angle_brackets_are_text_not_redirections() -> None:
    command = parse_curl("curl <BASE_URL>/instances/<INSTANCE_ID>")
    assert command.url == "<BASE_URL>/instances/<INSTANCE_ID>"


# --- curl's options -----------------------------------------------------------------------------


def test_several_data_options_are_joined_with_ampersand() -> None:
    text = "curl https://x \\\n  -d a=1 \\\n  --data-raw 'b=2'"
    command = parse_curl(text)
    assert command.data is not None and command.data.text == "a=1&b=2"
    assert (command.data.line, command.data.col) == (2, 6)
    assert (command.data_body_line, command.data_body_col) == (2, 6)


@pytest.mark.parametrize(
    ("text", "method"),
    [
        ("curl https://x", "GET"),
        ("curl -d a https://x", "POST"),
        ("curl --json '{}' https://x", "POST"),
        ("curl -X PATCH -d a https://x", "PATCH"),
        ("curl -G -d a=1 https://x", "GET"),
        ("curl --get -d a=1 https://x", "GET"),
        ("curl -I https://x", "HEAD"),
        ("curl -F f=@x https://x", "POST"),
        ("curl -T file https://x", "PUT"),
    ],
)
def test_effective_method(text: str, method: str) -> None:
    assert parse_curl(text).effective_method == method


def test_user_url_option_and_unknown_options() -> None:
    command = parse_curl(
        "curl -u me:secret --compressed --fancy-new -o out.json --url https://x https://y"
    )
    assert command.user == "me:secret"
    assert command.url == "https://x"
    assert [arg.text for arg in command.other_options] == [
        "--compressed",
        "--fancy-new",
        "-o",
        "out.json",
        "https://y",
    ]


def test_options_after_double_dash_are_urls() -> None:
    assert parse_curl("curl -- -weird-url").url == "-weird-url"


def test_command_built_by_hand() -> None:
    command = CurlCommand(data=CurlArg("x", 1, 1))
    assert command.effective_method == "POST"
    assert CurlCommand().effective_method == "GET"


# --- errors -------------------------------------------------------------------------------------

ERRORS = [
    # (text, line, col, words)
    ('curl -X POST https://x \\\n  -d \'{"name": "x}\n', 2, 6, "unterminated single-quoted"),
    ('curl -d "abc', 1, 9, "unterminated double-quoted"),
    # the apostrophe closes '...'; the shell then sees a '"' that is never closed
    ('curl -d \'{"name": "Joe\'s"}\' https://x', 1, 25, "unterminated double-quoted"),
    ("wget https://x", 1, 1, "not a curl command"),
    ("", 1, 1, "not a curl command"),
    ("# only a comment", 1, 1, "not a curl command"),
    ("curl https://x -X", 1, 16, "option -X needs a value"),
    ("curl https://x -H", 1, 16, "option -H needs a value"),
    ("curl https://x --data", 1, 16, "option --data needs a value"),
    ("curl -X POST https://x\n  -H 'a: b'", 1, 23, "missing backslash"),
    ("curl -X POST https://x \\  \n  -H 'a: b'", 1, 25, "space after the line-continuation"),
]


@pytest.mark.parametrize(("text", "line", "col", "words"), ERRORS)
def test_errors_point_at_the_problem(text: str, line: int, col: int, words: str) -> None:
    error = error_of(text)
    assert (error.line, error.col) == (line, col), error.message
    assert words in error.message
    assert error.hint and "\n" not in error.message


@pytest.mark.parametrize(
    "text", ["curl -d 'it's' https://x", 'curl -d \'{"name": "Joe\'s"}\' https://x']
)
def test_apostrophe_in_single_quotes_hint(text: str) -> None:
    assert "'\\''" in error_of(text).hint


# --- properties ---------------------------------------------------------------------------------


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text())
def test_any_text_raises_only_curlparseerror(text: str) -> None:
    try:
        parse_curl(text)
    except CurlParseError as error:
        assert error.line >= 1 and error.col >= 1 and error.message


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text(alphabet=" \t\n\\'\"$`#;&|<>-XHdcurl", max_size=40))
def test_shell_like_text_raises_only_curlparseerror(text: str) -> None:
    try:
        parse_curl("curl " + text)
    except CurlParseError as error:
        assert error.line >= 1 and error.col >= 1


def double_quote(word: str) -> str:
    escaped = "".join("\\" + c if c in '"\\$`' else c for c in word)
    return f'"{escaped}"'


words = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    url=words.filter(lambda w: not w.startswith("-")),
    header=words,
    body=words,
    quote=st.sampled_from([shlex.quote, double_quote]),
    joiner=st.sampled_from([" ", " \\\n  ", "\t"]),
)
def test_quoted_words_round_trip_with_exact_positions(
    url: str, header: str, body: str, quote: object, joiner: str
) -> None:
    assert callable(quote)
    parts = ["curl", "-H", quote(header), "-d", quote(body), quote(url)]
    text = joiner.join(parts)
    command = parse_curl(text)
    assert command.url == url
    assert command.headers[0][2].text == header
    assert command.data is not None and command.data.text == body
    # every character of a word maps back to that same character in the block
    line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    for arg in (command.data, command.headers[0][2], command.url_arg):
        assert arg is not None
        for char, (line, col) in zip(arg.text, arg.char_positions, strict=True):
            assert text[line_starts[line - 1] + col - 1] == char
