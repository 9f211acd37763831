"""The line scanner in generator/extract/scanner.py must find exactly what markdown-it finds.

``extract`` reads simple pages with a line scanner and hands anything else to markdown-it, the
reference parser. Every test here compares the two paths field by field (kind, text, lines,
indentation, heading, override, parsed JSON and its errors, table cells and code spans), on
pages made by hypothesis from the pieces real pages are made of, on every page of the
repository, of the test cases and of the sample corpus, and on the 1,000 pages the benchmark
generates. Other tests keep the scanner in use (typical pages must not fall back) and check
that tricky pages do.

``FUZZ_EXAMPLES`` sets the number of generated pages (default 300).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CORPUS, REPO, require_shared
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import Project, load_settings
from generator.extract import blocks as examples_module
from generator.extract import scanner
from generator.extract.blocks import (
    CURL,
    OTHER,
    REQUEST,
    RESPONSE,
    PageBlocks,
    extract,
    extract_fast,
    extract_with_markdown_it,
)
from generator.extract.jsonlocate import LocatedJSON
from generator.load.documents import parse_document

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _plain(value: Any) -> Any:
    """A value of a field, compared by value (exceptions and nested dataclasses included)."""
    if isinstance(value, LocatedJSON):  # repr tells 1 from 1.0 and True
        return {**{k: _plain(v) for k, v in vars(value).items()}, "value": repr(value.value)}
    if isinstance(value, BaseException):
        return type(value).__name__, value.args, {k: _plain(v) for k, v in vars(value).items()}
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def summary(blocks: PageBlocks) -> Any:
    """Every field of every Example and Table, and the too-deep lines, by value."""
    return _plain(blocks)


def assert_same(page: str) -> bool:
    """Both paths agree on ``page``; True when the scanner read it alone."""
    reference = summary(extract_with_markdown_it(page))
    fast = extract_fast(page)
    if fast is not None:
        assert summary(fast) == reference, f"the scanner differs from markdown-it on:\n{page!r}"
    assert summary(extract(page)) == reference
    return fast is not None


# Pages made of realistic pieces ---------------------------------------------------------------

REQUEST_BODY = [
    "{",
    '  "element": {',
    '    "key": "acmecrm"',
    "  },",
    '  "configuration": {',
    '    "crm.acme.username": "<USER>"',
    "  },",
    '  "name": "<INSTANCE_NAME>"',
    "}",
]
RESPONSE_BODY = [
    "{",
    '  "id": 12345,',
    '  "token": "ABC/D=",',
    '  "element": {"id": 7,',
    '      "key": "acmecrm"}',
    "}",
]
OAUTH_BODY = ['{"oauthUrl": "https://example.com/auth?client_id=x"}']
CURL_BODY = [
    "curl -X POST \\",
    "  https://api.example.com/instances \\",
    "  -H 'content-type: application/json' \\",
    '  -d \'{"name": "x"}\'',
]
BROKEN_JSON = ["{", '  "element": {"key": "acme"},', '  "name": "x",,', ""]
ODD_LINES = [
    "",
    "   ",
    '\t"tab": 1,',
    "    indented",
    "```",
    "~~~",
    "````",
    "``` not closing",
    "</div>",
    "| a | b |",
    "- item",
    "# not a heading",
    "  \t  mixed",
    "<!-- x -->",
    "text -->",
    "> quoted",
    "===",
    "---",
    "\u00a0{",
    "\x0c",
    "  ]:",
]
BODIES = [REQUEST_BODY, RESPONSE_BODY, OAUTH_BODY, CURL_BODY, BROKEN_JSON, [], ["plain"]]

WORDS = [
    "Send",
    "the",
    "request",
    "body",
    "`token`",
    "`a|b`",
    "|",
    "a\\|b",
    "#",
    "-",
    "*",
    "1.",
    "<b>x</b>",
    "[link](#a)",
    "**bold**",
    "é",
    "x]:y",
    "``double``",
    "\\",
    "~~~",
    "<br>",
    "Instance",
    "Response",
    "{",
    "&amp;",
    "\u00a0",
    "\u3000",
]

INFOS = [
    "",
    "json",
    "JSON",
    "json example=request",
    " json",
    "bash",
    "sh example=curl",
    "http",
    "{ .json }",
    "json5 example=response",
    "js`x",
    "text ~~~",
    "json example=",
    "example=other json",
    "console",
    "json  ",
    "json\u00a0",
]


def words(minimum: int = 1) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(WORDS), min_size=minimum, max_size=6).map(" ".join)


@st.composite
def fence(draw: st.DrawFn) -> list[str]:
    marker = draw(st.sampled_from(["```", "~~~", "````", "``", "~~~~"]))
    body = list(draw(st.sampled_from(BODIES)))
    for _ in range(draw(st.integers(0, 2))):
        body.insert(draw(st.integers(0, len(body))), draw(st.sampled_from(ODD_LINES)))
    indent = draw(st.sampled_from(["", "", " ", "  ", "\t"]))
    body = [indent + line if line else line for line in body]
    closing = draw(
        st.sampled_from(
            [
                marker,
                marker,
                marker + marker[0],
                marker[:-1],
                "",
                marker + "  ",
                marker + " x",
                "```",
                "~~~",
            ]
        )
    )
    lines = [marker + draw(st.sampled_from(INFOS)), *body]
    if closing:
        lines.append(draw(st.sampled_from(["", "", " ", "   ", "    "])) + closing)
    return lines


@st.composite
def table(draw: st.DrawFn) -> list[str]:
    width = draw(st.integers(1, 4))
    cell = st.sampled_from(
        [
            "Name",
            "`name`",
            "Name<br>`crm.acme.username`",
            "",
            "a\\|b",
            "`a | b`",
            " padded ",
            "string",
            "<em>Optional</em>",
            "\\",
            "-",
        ]
    )

    def row(cells: list[str], outer: bool) -> str:
        text = " | ".join(cells)
        return f"| {text} |" if outer else text

    outer = draw(st.booleans())
    header = row([draw(cell) or "Head" for _ in range(width)], outer)
    aligns = [
        draw(st.sampled_from(["---", ":---", "---:", ":-:", "-", " --- "]))
        for _ in range(draw(st.sampled_from([width, width, width + 1, max(width - 1, 1)])))
    ]
    delimiter = draw(
        st.sampled_from(
            [
                row(aligns, True),
                row(aligns, False),
                "|".join(aligns),
                "- | -",
                "--|--",
                "|-|",
                ":--",
                "| --- || --- |",
            ]
        )
    )
    rows = [
        row([draw(cell) for _ in range(draw(st.integers(0, width + 1)))], draw(st.booleans()))
        for _ in range(draw(st.integers(0, 4)))
    ]
    return [header, delimiter, *rows]


@st.composite
def heading(draw: st.DrawFn) -> list[str]:
    hashes = "#" * draw(st.integers(1, 7))
    space = draw(st.sampled_from([" ", " ", "  ", "", "\t"]))
    closing = draw(st.sampled_from(["", "", " ##", " #  ", "#", " \\#"]))
    return [hashes + space + draw(words(0)) + closing]


def paragraph() -> st.SearchStrategy[list[str]]:
    return st.lists(words(), min_size=1, max_size=3)


HTML = [
    ['<div class="admonition note"><p>Text</p></div>'],
    ["<div>", "inside", "</div>"],
    ["<!-- a comment", "", "still the comment -->"],
    ["<span>"],
    ["<span>inline</span> text"],
    ["</div>"],
    ["<pre>", "", "```json", "</pre>"],
    ["<script>", "x", "</script>"],
    ["<?php", "?>"],
    ["<!DOCTYPE html>"],
    ["<![CDATA[", "]]>"],
    ["<div", 'attr="x">'],
    ["<p>Note</p>", "```json", "{}", "```"],
]
TRICKY = [
    ["> quoted"],
    ["> ```json", "> {}", "> ```"],
    ["---"],
    ["***"],
    ["- - -"],
    ["___"],
    ["Title", "====="],
    ["Title", "---"],
    ['[foo]: /url "title"'],
    ["[foo]:", "/url"],
    ["[not] a definition"],
    ["    indented code"],
    ["\tindented code"],
    ["-"],
    ["1."],
    ["Text", "    lazy continuation"],
    ["Text", "- interrupting item"],
    ["Text", "2. two"],
    ["Text", "1. one"],
]


def leaf() -> st.SearchStrategy[list[str]]:
    return st.one_of(
        fence(),
        fence(),
        table(),
        heading(),
        paragraph(),
        st.sampled_from(HTML),
        st.sampled_from(TRICKY),
    )


@st.composite
def list_block(draw: st.DrawFn, child: st.SearchStrategy[list[str]]) -> list[str]:
    marker = draw(st.sampled_from(["-", "*", "+", "1.", "2)", "10.", "1)"]))
    lines: list[str] = []
    for number in range(draw(st.integers(1, 3))):
        if number and draw(st.integers(0, 5)) == 0:
            marker = draw(st.sampled_from(["-", "*", "1.", "3)"]))  # a change of list
        gap = draw(st.sampled_from([" ", " ", " ", "  ", "     ", "\t"]))
        blocks = draw(st.lists(child, min_size=1, max_size=3))
        first, *rest = blocks
        lines.append(marker + gap + first[0])
        offset = len(marker) + len(gap)
        deeper = " " * draw(
            st.sampled_from([offset, offset, offset, offset + 1, offset - 1, 0, offset + 4])
        )
        lines.extend(deeper + line if line else line for line in first[1:])
        for block in rest:
            if draw(st.booleans()):
                lines.append(draw(st.sampled_from(["", "  "])))
            indent = " " * draw(st.sampled_from([offset, offset, offset + 1, 4, 0]))
            lines.extend(indent + line if line else line for line in block)
        if draw(st.booleans()):
            lines.append("")
    return lines


def blocks() -> st.SearchStrategy[list[str]]:
    return st.recursive(leaf(), lambda child: list_block(child), max_leaves=6)


@st.composite
def pages(draw: st.DrawFn) -> str:
    parts = draw(st.lists(blocks(), min_size=1, max_size=8))
    text = ""
    for number, part in enumerate(parts):
        if number:
            text += draw(st.sampled_from(["\n", "\n\n", "\n\n", "\n   \n", "\n\n\n"]))
        indent = draw(st.sampled_from(["", "", "", " ", "   "]))
        text += "\n".join(indent + line if line else line for line in part)
    text += draw(st.sampled_from(["", "\n", "\n\n", "\n  "]))
    ending = draw(st.sampled_from(["\n"] * 8 + ["\r\n", "\r"]))
    return text.replace("\n", ending)


TYPICAL = """\
# Authenticate with Acme CRM

Before you can work with Acme CRM you need an authenticated element instance.

<div class="admonition info"><p><strong>On this page</strong></p></div>

## Authenticate Through API

To authenticate and create the instance:

1. Build a JSON request body like the one below:

    ```json
    {
      "element": {
        "key": "acmecrm"
      },
      "configuration": {
        "crm.acme.username": "<USERNAME>"
      },
      "name": "<INSTANCE_NAME>"
    }
    ```

2. Send that body to this endpoint:

    ```http
    POST /instances
    ```

    <div class="admonition note"><p>The request needs your secrets.</p></div>

3. Keep the `token` and the `id` of the response.

#### Example cURL

```bash
curl -X POST \\
  https://api.cloud-elements.com/elements/api-v2/instances \\
  -d '{"name": "API Instance"}'
```

## Parameters

| Parameter | Description | Data Type |
| :--- | :--- | :--- |
| `key` | Identifies the element.<br>`acmecrm` | string |
| Username<br>`crm.acme.username` | The user name. | string |

## Example Response for an Authenticated Element Instance

```json
{
  "id": 12345,
  "token": "ABC/D=",
  "element": {"id": 7, "key": "acmecrm"}
}
```
"""


def test_a_typical_page_takes_the_fast_path() -> None:
    fast = extract_fast(TYPICAL)
    assert fast is not None, (
        "the scanner gave up on a typical page, so extract lost its "
        "speed-up (or markdown-it-py is not the release it was checked "
        "with: see SCANNER_CHECKED_WITH)"
    )
    assert summary(fast) == summary(extract_with_markdown_it(TYPICAL))
    assert [e.kind for e in fast.examples] == [REQUEST, OTHER, CURL, RESPONSE]
    request = fast.examples[0]
    assert (request.fence_line, request.first_line, request.indent) == (12, 13, 4)
    assert request.text.startswith('{\n  "element"')
    assert request.heading == "Authenticate Through API"
    assert fast.tables[0].header == ["Parameter", "Description", "Data Type"]
    assert fast.tables[0].rows[1][1:] == (
        ["Username<br>`crm.acme.username`", "The user name.", "string"],
        [["crm.acme.username"], [], []],
    )


def test_extract_reads_a_typical_page_without_markdown_it(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = summary(extract_with_markdown_it(TYPICAL))

    def refuse(*args: object) -> None:
        raise AssertionError("markdown-it was asked to parse a typical page")

    monkeypatch.setattr(examples_module, "_block_tokens", refuse)
    assert summary(extract(TYPICAL)) == expected


@pytest.mark.parametrize(
    "tricky",
    [
        "Title\n=====\n\n```json\n{}\n```\n",  # setext heading
        "> ```json\n> {}\n> ```\n",  # fence in a block quote
        "-     code\n",  # indented code on a list item's own line
        "***\n\n```json\n{}\n```\n",  # thematic break
        "[ref]: https://example.com\n\n```json\n{}\n```\n",  # link reference definition
        "```json\r\n{}\r\n```\r\n",  # CRLF
        "-\n  ```json\n  {}\n  ```\n",  # empty list item
        "".join(f"{'  ' * depth}- item\n" for depth in range(12)),  # deep nesting
    ],
)
def test_tricky_pages_fall_back_to_markdown_it(tricky: str) -> None:
    assert extract_fast(tricky) is None
    assert summary(extract(tricky)) == summary(extract_with_markdown_it(tricky))


EDGE_PAGES = [
    "- a\n - b\n  - c\n   - d\n    - e\n",  # the last one continues a paragraph
    '1. a\n\n    ```json\n    {"name": "x"}\n   ```\n',
    "| a | b |\n| - | - |\n| `x` | y\n- z\n",  # a list item ends the table
    "Text\n| a | b |\n|---|---|\n| 1 | 2 |\n",  # a table interrupts a paragraph
    "- ```\n  code\n text\n",  # an outdented line ends the fence with the item
    "Text\n   ```json\n   {}\n   ```\n",  # three columns in: still ends the paragraph
    "- Text\n      # lazy, not a heading\n  # a heading\n",
    "* a\n- b\n+ c\n1. d\n1) e\n",  # every change of marker starts a new list
    "<!-- c\n\n- x\n-->\n```json\n{}\n```\n",
    "- <!-- c\n\n  x -->\n\n```\n",
    "#\tTitle #\n```json\t example=request\n{}\n```",
    '1.\tx\n\n\t```json\n\t\t{"id": 1}\n\t```\n',  # tabs, expanded to columns
    '- a\n\n  ```json\n   \t{"id": 1}\n  ```\n',
    '# Example Response\n\n```\n{"id": 1, "element": {"id": 2}}\n```\n   \n  ',
    "```json\n{\n",  # never closed
    '  ```json\n  {"id": 1}',  # never closed, and no line break at the end
    'Text\n\n    {"indented": true}\n',  # indented code
    "Text\n\n    GET /x",  # indented code, no line break at the end
    "Text\n\n    a\n\n      \n\n     b\n   \n\nafter\n",  # blank lines inside and after
    "1. Call:\n\n        POST /instances\n\n   And:\n\n        GET /x\n2. Next\n",
    "- a\n\n      code\n     not code: lazy\n",
    "Text\n    lazy continuation, not code\n",
    "\tcode\n\t\tdeeper\n  \tmixed\n",  # tabs, expanded to columns
    "- a\n\n  \t code\n",
    "<div>\n\n    code\n",
    "| a | b |\n| - | - |\n\n    code\n",
    "",
]


@pytest.mark.parametrize("page", EDGE_PAGES)
def test_same_blocks_on_known_corner_cases(page: str) -> None:
    assert_same(page)


def test_the_scanner_matches_markdown_it_on_generated_pages() -> None:
    taken: list[bool] = []

    @FUZZ
    @given(pages())
    def check(page: str) -> None:
        taken.append(assert_same(page))

    check()
    # the property means little unless the scanner reads a fair share of the pages alone
    assert sum(taken) >= len(taken) // 5, f"scanner used on {sum(taken)} of {len(taken)}"


# Real pages -----------------------------------------------------------------------------------


def _body(text: str, rel: str) -> str:
    """A page without its front matter: close to what rendering gives to extract."""
    document, _ = parse_document(text, Path(rel), rel)
    return document.body


def _case_pages() -> list[tuple[str, str]]:
    pages = []
    for case in sorted((REPO / "tests").rglob("*.yml")):
        data = yaml.safe_load(case.read_text(encoding="utf-8"))
        files = data.get("files") if isinstance(data, dict) else None
        for name, text in (files or {}).items():
            if str(name).endswith(".md") and isinstance(text, str):
                pages.append((f"{case.name}:{name}", text))
    return pages


def test_same_blocks_on_the_repository_and_test_case_pages() -> None:
    pages = [
        (str(path.relative_to(REPO)), path.read_text(encoding="utf-8"))
        for path in sorted((REPO / "content").rglob("*.md"))
    ]
    pages += _case_pages()
    assert len(pages) > 20
    fast = 0
    for name, text in pages:
        for page in (text, _body(text, name)):
            fast += assert_same(page)
    assert fast >= len(pages) // 2


def test_same_blocks_on_the_sample_corpus() -> None:
    corpus = require_shared(CORPUS)
    paths = sorted(corpus.rglob("*.md"))
    assert paths
    fast = 0
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        for page in (text, _body(text, path.name)):
            fast += assert_same(page)
    assert fast >= len(paths) // 2


def _rendered_pages(root: Path) -> list[str]:
    project = Project(load_settings(root), use_cache=False)
    project.load_all()
    texts = []
    for document, _ in project.documents.values():
        assert document is not None
        rendered = project.renderer.render(
            document.body, document.rel, document.body_first_line, project.page_context(document)
        )
        assert not rendered.failed
        texts.append(rendered.text)
    return texts


def test_same_blocks_on_the_rendered_repository_pages() -> None:
    pages = _rendered_pages(REPO)
    assert pages
    for page in pages:
        assert_same(page)


def _benchmark_module() -> Any:
    path = REPO / "benchmarks" / "run.py"
    spec = importlib.util.spec_from_file_location("element_docs_bench", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_same_blocks_on_the_thousand_generated_pages(tmp_path: Path) -> None:
    generate: Callable[..., Any] = _benchmark_module().generate
    project = generate(1000, tmp_path, floor=False, macros=False)
    pages = _rendered_pages(project.ours)
    assert len(pages) == 1002  # the pages, the index and the events guide
    fast = sum(assert_same(page) for page in pages)
    assert fast >= 0.95 * len(pages), f"only {fast} of {len(pages)} pages took the fast path"


def test_every_markdown_it_release_the_pin_allows_gets_the_scanner() -> None:
    """pyproject.toml's range for markdown-it-py is the range the scanner was checked with:
    the installed release is in it, and the scanner is on for it (never silently slower)."""
    import tomllib

    import markdown_it
    from packaging.requirements import Requirement

    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    [spec] = [
        Requirement(d)
        for d in pyproject["project"]["dependencies"]
        if d.startswith("markdown-it-py")
    ]
    assert markdown_it.__version__ in spec.specifier
    assert scanner.SCANNER_ON
    for version in spec.specifier.filter(["4.3.0", "4.3.9", "4.4.0", "4.2.0", "3.0.0", "5.0.0"]):
        assert version.startswith(scanner.SCANNER_CHECKED_WITH), version
