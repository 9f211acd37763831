"""Fuzzing: whatever a page holds, loading and checking it gives diagnostics, never an
exception.

Properties over arbitrary bytes (the front-matter loader) and over text built from the
pieces templates are made of (include tags, ``{{``/``{%`` fragments, front matter, fences),
checked through the real ``Project.check_page`` of a small project on disk. The cURL parser
and the JSON locator have their own properties in test_curl.py and test_jsonlocate.py.

``FUZZ_EXAMPLES`` sets the number of examples of every property (default 100 here, 200 in
those two files); ``FUZZ_EXAMPLES=5000`` is the long run recorded in docs/robustness.md.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import MINIMAL_MKDOCS, write_tree
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from generator import Project, load_settings
from generator.errors import CODES, Diagnostic
from generator.load.documents import load_document, parse_document

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ELEMENT_HEAD = (
    "---\nheading: Acme CRM\ntitle: Authenticate\nelementId: 7\n"
    "elementKey: acmecrm\nhub: crm\n---\n"
)
PARTIALS = {
    "includes/a.md": "Partial A {{ include.x | default('') }}\n",
    "includes/b.md": "B\n{% include a.md x=include.y %}\n",
    "includes/loop.md": "{% include loop.md %}\n",
    "includes/Elements/acme/auth.md": '## Example Request\n\n```json\n{"element": '
    '{"key": "{{ page.elementKey }}"}, "name": '
    '"n", "configuration": {}}\n```\n',
    "includes/_data/glossary.yml": "term: A term.\nelement-auth-name: Name.\n",
}


@pytest.fixture(scope="module")
def fuzz_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="element-docs-fuzz-")) / "project"
    (root / "content" / "elements" / "acme").mkdir(parents=True)
    (root / "mkdocs.yml").write_text(MINIMAL_MKDOCS, encoding="utf-8")
    write_tree(root, PARTIALS)
    yield root
    shutil.rmtree(root.parent, ignore_errors=True)


_names = itertools.count()


def assert_reportable(diagnostics: list[Diagnostic]) -> None:
    """Every diagnostic can be shown as one line with a location and a hint."""
    for diagnostic in diagnostics:
        assert isinstance(diagnostic, Diagnostic)
        assert diagnostic.code in CODES, diagnostic
        assert diagnostic.location is not None and diagnostic.location.path, diagnostic
        assert diagnostic.location.line >= 0 and diagnostic.location.col >= 0, diagnostic
        assert diagnostic.message.strip() and "\n" not in diagnostic.message, diagnostic
        assert "\n" not in diagnostic.hint, diagnostic
        assert "Traceback" not in diagnostic.message, diagnostic


# --- the front-matter loader ----------------------------------------------------------------

YAMLISH = st.sampled_from(
    [
        "---\n",
        "key: value\n",
        "heading: x\n",
        "elementId: 7\n",
        "title: ",
        "- ",
        "  ",
        "\t",
        ": ",
        "'",
        '"',
        "[",
        "]",
        "{",
        "}",
        "&a ",
        "*a",
        "!!python/object:os.system ",
        "? ",
        "|\n",
        ">\n",
        "#",
        "\n",
        "\ufeff",
        "\r\n",
        "\r",
        "%YAML 1.2\n",
        "...\n",
        "<<: *a\n",
        "\x00",
        "\x85",
        "\u2028",
        "\ue000",
        "é",
        "\\",
        "@",
        "`",
        "!",
        "%",
        "0x1F",
        ".inf",
        "~",
    ]
)


@st.composite
def front_matter_texts(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(st.one_of(YAMLISH, st.text(max_size=8)), max_size=40))
    return "".join(pieces)


@FUZZ
@given(text=st.one_of(front_matter_texts(), st.text()))
@example(text="---\na: &a [*a]\n---\n")
@example(text="---\nx: " + "[" * 5000 + "\n---\n")
@example(text="---\n" + "a: &a [" + ",".join(["*a"] * 50) + "]\n---\n")
def test_parse_document_returns_diagnostics_for_any_text(text: str) -> None:
    document, diagnostics = parse_document(text, Path("/nowhere/p.md"), "content/p.md")
    assert_reportable(diagnostics)
    assert document.body_first_line >= 1
    assert isinstance(document.meta, dict)


@FUZZ
@given(
    raw=st.one_of(
        st.binary(max_size=400),
        front_matter_texts().map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.tuples(
            st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"---\n"]), st.binary(max_size=60)
        ).map(b"".join),
    )
)
def test_load_document_returns_diagnostics_for_any_bytes(fuzz_root: Path, raw: bytes) -> None:
    path = fuzz_root / "content" / f"bytes-{next(_names)}.md"
    path.write_bytes(raw)
    try:
        document, diagnostics = load_document(path, load_settings(fuzz_root))
    finally:
        path.unlink()
    assert_reportable(diagnostics)
    assert document is not None or diagnostics


# --- templates through the whole check -------------------------------------------------------

TEMPLATE_PIECES = st.sampled_from(
    [
        "{{",
        "}}",
        "{%",
        "%}",
        "{#",
        "#}",
        "{%-",
        "-%}",
        "{{-",
        "-}}",
        "{% include a.md %}",
        '{% include b.md y="1" %}',
        "{% include loop.md %}",
        "{% include Elements/acme/auth.md%}",
        "{% include ",
        "include",
        " x=",
        "=",
        '"',
        "'",
        "{% include a.md x=page.heading %}",
        "{% include a.md x= %}",
        '{% include a.md x="',
        "{% include ../mkdocs.yml %}",
        "{% include /etc/passwd %}",
        "{% include nope.md %}",
        "{% include {{ page.title }} %}",
        "{% include_relative x.md %}",
        "{{ page.heading }}",
        "{{ page.nope }}",
        "{{ include.x }}",
        "{{ site.data.glossary.term }}",
        "{{ site.data.glossary.element-auth-name }}",
        "{{ site.console }}",
        "{{ site.elements }}",
        "{{ ''.__class__ }}",
        "{{ self }}",
        "{{ lipsum }}",
        "{{ range(3) | list }}",
        "| default('x')",
        "| upcase",
        "| size",
        "| join: ', '",
        "| nope_filter",
        "|",
        ".",
        "{% if page.hub %}",
        "{% endif %}",
        "{% else %}",
        "{% for i in (1..3) %}",
        "{% endfor %}",
        "{% for x in page %}",
        "{% assign v = 1 %}",
        "{% capture c %}",
        "{% endcapture %}",
        "{% raw %}",
        "{% endraw %}",
        "{% comment %}",
        "{% endcomment %}",
        "{% unless x %}",
        "{% endunless %}",
        "{% case x %}",
        "{% when 1 %}",
        "{% endcase %}",
        "{% set y = 2 %}",
        "{% macro m() %}",
        "{% endmacro %}",
        "{% block b %}",
        "{% extends 'a.md' %}",
        "{% import 'a.md' as a %}",
        "{% from 'a.md' import x %}",
        "```json\n",
        "```bash\n",
        "```\n",
        "~~~\n",
        "```json example=request\n",
        '{"id": 1, "element": {"id": 8, "key": "x"}, "token": "t", "name": "n"}\n',
        "curl -X POST https://x/instances -d '{\"a\": 1}'\n",
        "| a | b |\n|---|---|\n",
        "## Example Response for an Authenticated Element Instance\n",
        "- item\n",
        "    ",
        "\n",
        "\t",
        " ",
        "x",
        "\\",
        "\ufeff",
        "\u2028",
        "\x0b",
        "é",
        "<script>",
        "0",
        "(",
        ")",
    ]
)


@st.composite
def page_texts(draw: st.DrawFn) -> str:
    head = draw(st.sampled_from(["", ELEMENT_HEAD, "---\ntitle: T\n---\n", "---\n"]))
    pieces = draw(st.lists(st.one_of(TEMPLATE_PIECES, st.text(max_size=6)), max_size=40))
    return head + "".join(pieces)


@FUZZ
@given(text=page_texts())
@example(text=ELEMENT_HEAD + "{% include Elements/acme/auth.md%}\n")
@example(text="{{ " * 400)
@example(text="{{ [" * 300)
def test_check_page_reports_and_never_raises(fuzz_root: Path, text: str) -> None:
    check_text(fuzz_root, text)


_DEEP = (
    "generator.render.renderer.Renderer.render: self._skeleton() runs outside the try, and "
    "env.compile of a deeply nested template raises RecursionError (Jinja's parser and "
    "Python's compile() recurse), which escapes check_page: generator check stops with a "
    "traceback and reports no other page. Catching it in _skeleton (return None) lets "
    "the plain compile inside the try report it, as it already does for '{{ [' * 300"
)


@pytest.mark.parametrize(
    "text",
    [
        "{% if x %}" * 300,
        "{{ " + "(" * 500 + "1" + ")" * 500 + " }}",
        "{{ " + "[" * 300 + "]" * 300 + " }}",
        "{{ " + "not " * 3000 + "1 }}",
        "{{ x" + ".a" * 5000 + " }}",
        "{{ 1" + "+1" * 5000 + " }}",
    ],
    ids=["if-300", "parens-500", "lists-300", "not-3000", "attrs-5000", "plus-5000"],
)
def test_deeply_nested_templates_are_reported(fuzz_root: Path, text: str) -> None:
    check_text(fuzz_root, text + "\n")


def check_text(fuzz_root: Path, text: str) -> None:
    folder = "content/elements/acme" if text.startswith(ELEMENT_HEAD) else "content"
    path = fuzz_root / folder / f"fuzz-{next(_names)}.md"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        project = Project(load_settings(fuzz_root), use_cache=False)
        result = project.check_page(path)
    finally:
        path.unlink()
    assert_reportable(result.diagnostics)
    page = project.settings.rel(path)
    for diagnostic in result.diagnostics:
        assert diagnostic.location.path in (page, *PARTIALS), diagnostic


def test_unclosed_comment_is_reported_in_the_page(fuzz_root: Path) -> None:
    path = fuzz_root / "content" / "unclosed-comment.md"
    path.write_text("# Page\n\n{# a note {{ x\n", encoding="utf-8")
    try:
        result = Project(load_settings(fuzz_root), use_cache=False).check_page(path)
    finally:
        path.unlink()
    assert [(d.code, d.location.path, d.location.line) for d in result.diagnostics] == [
        ("ED301", "content/unclosed-comment.md", 3)
    ]
