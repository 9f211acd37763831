"""Property tests of the template sandbox: random expressions, filters, method calls and
include parameters over everything a template can name (page, site, site.data, include,
lipsum, range, cycler, joiner, namespace, self, literals), checked as pages.

Whatever the expression, the check of its page (``Project.check_page`` and the CLI) never
raises, reports only known codes at the page's own file, prints no internal repr, and
stays within time and memory. Each batch of pages is checked in a child process, so a
template that escaped the limits fails the test instead of taking the machine's memory
(the child's address-space limit is a safety net; the peak is asserted far under it).

``FUZZ_EXAMPLES`` sets the number of batches (default 12 here; each has 12 pages).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import MINIMAL_MKDOCS, run_cli, write_tree
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from generator.errors import CODES

BATCHES = max(1, int(os.environ.get("FUZZ_EXAMPLES", "100")) // 8)
PROPERTY = settings(
    max_examples=BATCHES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
PER_BATCH = 12
LEAKS = (
    "<function",
    "<built-in",
    "<bound method",
    "<class '",
    "<module",
    " at 0x",
    "<jinja2",
    "TemplateReference",
    "<generator object",
    "__globals__",
    "mappingproxy",
    "<method",
    "Traceback",
)
# a diagnostic may name the kind of object it refused; never show one, or its address
MESSAGE_LEAKS = (
    "<function",
    "<built-in",
    "<bound method",
    "<class '",
    " at 0x",
    "<jinja2",
    "<generator object",
    "Traceback",
)

ATOMS = [
    "page",
    "site",
    "site.data",
    "site.data.menu",
    "site.data.menu[0]",
    "include",
    "include.links",
    "include.names",
    "lipsum",
    "range",
    "cycler",
    "joiner",
    "namespace",
    "dict",
    "self",
    "page.title",
    "page.tags",
    "loop",
    "caller",
    "varargs",
    "_ed_problem",
    "_ed_enter",
    "_ed_frame",
    "_ed_s",
    "liquid_unsupported",
    "vars",
    "none",
    "true",
    "''",
    "'x'",
    "'%s'",
    "'{}'",
    "'{:>99}'",
    "'a\\tb'",
    "0",
    "1",
    "-1",
    "7",
    "999999999",
    "2**64",
    "10**9",
    "1.5",
    "[]",
    "[1, 2]",
    "{}",
    "{'a': 1}",
    "('x' * 1000)",
]
ATTRIBUTES = [
    "__class__",
    "__globals__",
    "__init__",
    "__self__",
    "__mro__",
    "__dict__",
    "mro",
    "items",
    "keys",
    "values",
    "get",
    "update",
    "append",
    "extend",
    "pop",
    "format",
    "format_map",
    "join",
    "replace",
    "center",
    "ljust",
    "zfill",
    "expandtabs",
    "to_bytes",
    "upper",
    "split",
    "next",
    "current",
    "reset",
    "size",
    "first",
    "last",
    "title",
    "menu",
    "index0",
    "cycle",
    "v",
    "gi_frame",
]
FILTERS = [
    "string",
    "list",
    "length",
    "first",
    "last",
    "join",
    "center",
    "indent",
    "format",
    "replace",
    "batch",
    "slice",
    "map",
    "select",
    "sort",
    "unique",
    "reverse",
    "attr",
    "default",
    "tojson",
    "pprint",
    "e",
    "safe",
    "trim",
    "upper",
    "wordwrap",
    "truncate",
    "int",
    "float",
    "sum",
    "dictsort",
    "items",
    "jsonify",
    "inspect",
    "append",
    "prepend",
    "split",
    "size",
    "where",
    "group_by",
    "plus",
    "times",
    "date",
    "slugify",
    "markdownify",
    "liquid_slice",
    "push",
    "concat",
    "each",
    "xmlattr",
    "urlencode",
    "wordcount",
    "groupby",
    "random",
    "round",
]
BINARY = ["~", "+", "*", "**", "%", "-", "//", "==", "in", "and", "or"]


def expressions() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        args = st.lists(inner, max_size=3).map(", ".join)
        return st.one_of(
            st.tuples(inner, st.sampled_from(ATTRIBUTES)).map(lambda t: f"{t[0]}.{t[1]}"),
            st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
            st.tuples(inner, args).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(inner, st.sampled_from(FILTERS), args).map(
                lambda t: f"({t[0]})|{t[1]}({t[2]})"
            ),
            st.tuples(inner, st.sampled_from(BINARY), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            st.lists(inner, max_size=3).map(lambda items: f"[{', '.join(items)}]"),
            st.tuples(st.sampled_from(["a", "b"]), inner).map(lambda t: f"{{'{t[0]}': {t[1]}}}"),
        )

    return st.recursive(st.sampled_from(ATOMS), extend, max_leaves=8)


def templates() -> st.SearchStrategy[str]:
    """A line of template text around an expression: printed, stringified, stored in a
    namespace in a loop, or handed to a partial as an include parameter."""
    return st.one_of(
        expressions().map(lambda e: f"{{{{ {e} }}}}"),
        expressions().map(lambda e: f"{{{{ [{e}]|string }}}} {{{{ {e} ~ '' }}}}"),
        expressions().map(
            lambda e: (
                "{% set ns = namespace(v=1) %}{% for i in range(30) %}"
                f"{{% set ns.v = {e} %}}{{% endfor %}}{{{{ ns.v }}}}"
            )
        ),
        expressions().map(lambda e: f"{{% for x in {e} %}}{{{{ x }}}}{{% endfor %}}"),
        st.tuples(expressions(), expressions()).map(
            lambda t: (
                f"{{% set names = {t[0]} %}}{{% set links = {t[1]} %}}"
                "{% include part.md names=names links=links %}"
            )
        ),
    )


_CHILD = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (4096 << 20, 4096 << 20))  # a safety net only
from pathlib import Path
from generator import Project, load_settings
root = Path(sys.argv[1])
project = Project(load_settings(root), use_cache=False)
project.load_all()
out = []
for page in sorted((root / "content").glob("*.md")):
    start = time.monotonic()
    try:
        result = project.check_page(page)
    except BaseException as exc:
        out.append({"page": page.name, "raised": f"{type(exc).__name__}: {exc}"[:500]})
        continue
    text = result.rendered.text if result.rendered is not None else ""
    out.append({"page": page.name, "seconds": time.monotonic() - start,
                "diagnostics": [[d.code, d.location.path, d.message] for d in
                                result.diagnostics], "text": text[:20000]})
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10
print(json.dumps({"pages": out, "peak": peak}))
"""

PARTIAL = (
    "{% for name in include.names %}{{ name }}: {{ include.links[forloop.index0] }}\n"
    "{{ include.links[loop.index0] }}{% endfor %}\n"
)


def _project(root: Path, lines: list[str]) -> Path:
    files = {
        f"content/p{number:02}.md": f"---\ntitle: Page {number}\ntags: [a, b]\n---\n"
        f"# Page\n\n{line}\n\nAfter.\n"
        for number, line in enumerate(lines)
    }
    files["includes/part.md"] = PARTIAL
    files["includes/_data/menu.yml"] = "- one\n- two\n"
    files["mkdocs.yml"] = MINIMAL_MKDOCS
    root.mkdir(parents=True, exist_ok=True)
    (root / "content").mkdir(exist_ok=True)
    return write_tree(root, files)


def _check_batch(root: Path, lines: list[str]) -> None:
    _project(root, lines)
    started = time.monotonic()
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(root)], capture_output=True, text=True, timeout=600
    )
    assert child.returncode == 0, child.stderr[-3000:]
    report = json.loads(child.stdout)
    assert report["peak"] < 600 << 20, f"peak {report['peak'] >> 20} MB"
    assert len(report["pages"]) == len(lines)
    for page, line in zip(report["pages"], lines, strict=True):
        assert "raised" not in page, (line, page)
        assert page["seconds"] < 30, (line, page["seconds"])
        for code, path, message in page["diagnostics"]:
            assert code in CODES, (line, code, message)
            assert path in (f"content/{page['page']}", "includes/part.md"), (line, path)
            assert not any(leak in message for leak in MESSAGE_LEAKS), (line, message)
        assert not any(leak in page["text"] for leak in LEAKS), (line, page["text"][:2000])
    assert time.monotonic() - started < 300


@PROPERTY
@given(st.lists(templates(), min_size=PER_BATCH, max_size=PER_BATCH))
@example(
    [
        "{% set names = ['a', 'b', 'c'] %}{% set links = ['x'] %}"
        "{% include part.md names=names links=links %}",
        "{{ [lipsum]|string }}{{ lipsum ~ '' }}{{ '%s'|format([range]) }}",
        "{{ _ed_problem('ED999', 'forged') }}",
        "{{ site.update({'a': 1}) }}",
        "{{ '{:>999999999}'.format(1) }}",
        "{{ ({'a': cycler}|string) }}",
        "{{ '{0.__class__}'.format(1) }}",
        "{{ [self, loop, caller] }}",
        "{% include @root/.env %}",
        "{{ links[loop.index0] }}",
        "{% for x in range(10) %}{{ [x]|map('string')|join }}{% endfor %}",
        "{{ (1).to_bytes(10**9, 'big') }}",
    ]
)
def test_random_templates_are_diagnostics_never_leaks_or_crashes(tmp_path_factory, lines) -> None:
    _check_batch(tmp_path_factory.mktemp("sandbox"), lines)


@settings(
    max_examples=max(1, BATCHES // 4),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(templates(), min_size=PER_BATCH, max_size=PER_BATCH))
@example(
    [
        "{{ site.data[include] }}",
        "{{ site.data[1] }}",
        "{{ site.data[(1, 2)] }}",
        "{{ site[lipsum] }}",
    ]
    + ["{{ page }}"] * (PER_BATCH - 4)
)
def test_random_templates_through_the_cli(tmp_path_factory, lines) -> None:
    """The whole command: exit 0 or 1, JSON out, no traceback, every page reported on."""
    root = _project(tmp_path_factory.mktemp("cli"), lines)
    result = run_cli("check", "--format", "json", cwd=root, timeout=600)
    assert result.returncode in (0, 1), result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["pages"] == len(lines)
    for diagnostic in report["diagnostics"]:
        assert diagnostic["code"] in CODES
        assert not any(leak in diagnostic["message"] for leak in MESSAGE_LEAKS), diagnostic
