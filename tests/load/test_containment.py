"""Containment: what a page or partial must not reach, read or run.

tests/render/test_templating.py covers the sandbox basics (``''.__class__.__mro__``,
``cycler.__init__.__globals__``, ``page.__class__``), includes with ``..`` and cycles. Here:
more ways into Python internals, include names that are not paths (NUL bytes, backslashes,
URLs, drive letters), the resource limits, and HTML/script in front matter, checked down to
the HTML a real MkDocs build publishes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MINIMAL_MKDOCS, check_json, copy_repo_project, run_cli, write_tree

from generator import Project, load_settings
from generator.pipeline.project import PageResult

PAGE = "content/elements/acme/authenticate.md"
HEAD = (
    "---\nheading: Acme CRM\ntitle: Authenticate\nelementId: 7\nelementKey: acmecrm\n"
    "hub: crm\n---\n"
)
SANDBOX_CODES = {"ED307", "ED302", "ED309"}
# what the repr of a Python internal looks like once printed into a page
LEAKS = (
    "<class",
    "<function",
    "<built-in",
    "<bound method",
    "<module",
    "TemplateReference",
    "<jinja2",
    "__globals__",
    "__builtins__",
    " at 0x",
    "mappingproxy",
    "<method",
)
LIVE_SCRIPT = "<script>alert(1)</script>"


def check(root: Path, page: str = PAGE) -> PageResult:
    project = Project(load_settings(root), use_cache=False)
    project.load_all()
    return project.check_page(root / page)


def codes(result: PageResult) -> set[str]:
    return {d.code for d in result.diagnostics}


def rendered(result: PageResult) -> str:
    return result.rendered.text if result.rendered is not None else ""


# --- sandbox ----------------------------------------------------------------------------

ESCAPES = [
    "{{ lipsum.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ range.__init__ }}",
    "{{ range.__self__ }}",
    "{{ ''|attr('__class__') }}",
    "{{ (''|attr('__class__')|attr('__mro__'))[1] }}",
    "{{ ''['__cla' + 'ss__'] }}",
    "{{ ''['__class__']['__mro__'] }}",
    "{{ '{0.__class__}'.format('') }}",
    "{{ '{0.__class__.__mro__}'.format_map({'0': ''}) }}",
    "{{ '%s'|format(''.__class__) }}",
    "{% set x = cycler.__init__ %}{{ x.__globals__ }}",
    "{{ dict.__subclasses__ }}",
    "{{ page.__init__.__globals__ }}",
    "{{ site.data.__class__ }}",
    "{{ include.__class__ }}",
    "{% for k in ''.__class__.__mro__[1].__subclasses__() %}{{ k }}{% endfor %}",
    "{{ self._TemplateReference__context.environment }}",
    "{{ joiner().__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
]


@pytest.mark.parametrize("expression", ESCAPES)
def test_reaching_python_internals_fails_and_shows_nothing(make_project, expression) -> None:
    root = make_project({PAGE: HEAD + "\nBefore.\n\n" + expression + "\n"})
    result = check(root)
    assert codes(result) and codes(result) <= SANDBOX_CODES, result.diagnostics
    (diagnostic,) = [d for d in result.diagnostics if d.code in SANDBOX_CODES]
    assert diagnostic.location.path == PAGE and diagnostic.location.line == 11
    assert "\n" not in diagnostic.message
    text = rendered(result)
    assert not any(leak in text for leak in LEAKS), text


@pytest.mark.parametrize(
    "expression",
    [
        "{{ self }}",
        "{{ joiner }}",
        "{{ ''.format_map }}",
        "{{ page.items }}",
    ],
)
def test_internals_are_not_printed_into_the_page(make_project, expression) -> None:
    root = make_project({PAGE: HEAD + expression + "\n"})
    result = check(root)
    text = rendered(result)
    assert not any(leak in text for leak in LEAKS), text
    assert result.diagnostics, "printing an internal object should be reported"


@pytest.mark.parametrize("expression", ESCAPES)
def test_reaching_python_internals_is_called_what_it_is(make_project, expression) -> None:
    root = make_project({PAGE: HEAD + expression + "\n"})
    result = check(root)
    assert codes(result) == {"ED307"}, result.diagnostics
    assert "forbidden" in result.diagnostics[0].message


def test_mapping_methods_still_work(make_project) -> None:
    root = make_project(
        {PAGE: HEAD + "{{ page.items() | list | length }} {{ page.keys() | first }}\n"}
    )
    result = check(root)
    assert not result.diagnostics and "heading" in rendered(result)


def test_filter_chains_over_generators_still_work(make_project) -> None:
    """map, select and reverse give generators: the filters and methods that read them
    (join, first, list) see their items, and nothing is refused."""
    root = make_project(
        {
            PAGE: HEAD.replace("hub: crm\n", "hub: crm\ntags: [a, b]\n")
            + "{{ page.tags|map('upper')|join(', ') }} / "
            "{{ ', '.join(page.tags|map('upper')) }} / "
            "{{ page.tags|select|list|length }} / {{ page.tags|reverse|join }} / "
            "{{ page.tags|map('upper')|first }}\n"
        }
    )
    result = check(root)
    assert not result.diagnostics, result.diagnostics
    assert "A, B / A, B / 2 / ba / A" in rendered(result)


def test_lax_mode_does_not_relax_the_sandbox_into_output(make_project) -> None:
    """--lax turns undefined variables into warnings: the escape attempt still prints
    nothing of Python's."""
    root = make_project({PAGE: HEAD + "{{ ''.__class__.__mro__ }}{{ lipsum.__globals__ }}\n"})
    project = Project(load_settings(root, strict=False), use_cache=False)
    project.load_all()
    result = project.check_page(root / PAGE)
    assert result.diagnostics
    assert not any(leak in rendered(result) for leak in LEAKS)


# --- include names -------------------------------------------------------------------------


def _dynamic_include(make_project, name_yaml: str) -> PageResult:
    """``{% include {{ page.part }} %}``: the name comes from front matter (YAML escapes let
    it hold a NUL byte or control characters a file on disk could not)."""
    root = make_project(
        {
            "content/guide.md": f"---\ntitle: Guide\npart: {name_yaml}\n---\n\n"
            "{% include {{ page.part }} %}\n",
            "includes/Elements/acme/p.md": "PARTIAL-TEXT\n",
        }
    )
    (root / "outside.md").write_text("OUTSIDE-SECRET\n")
    return check(root, "content/guide.md")


@pytest.mark.parametrize(
    "name_yaml",
    [
        '"../outside.md"',
        '"..\\\\outside.md"',
        '"Elements\\\\..\\\\..\\\\..\\\\outside.md"',
        '"/etc/passwd"',
        '"\\\\etc\\\\passwd"',
        '"\\\\\\\\server\\\\share\\\\x.md"',
        '"C:\\\\Windows\\\\win.ini"',
        '"c:outside.md"',
        '"file:///etc/passwd"',
        '"http://evil.example/x.md"',
        '"//evil.example/x.md"',
        '"Elements/acme/p.md/../../../outside.md"',
    ],
)
def test_include_names_that_leave_includes_are_refused(make_project, name_yaml) -> None:
    result = _dynamic_include(make_project, name_yaml)
    assert codes(result) == {"ED304"}, result.diagnostics
    assert "OUTSIDE-SECRET" not in rendered(result) and "root:" not in rendered(result)


def test_include_name_with_a_nul_byte_is_refused_without_a_crash(make_project) -> None:
    result = _dynamic_include(make_project, '"Elements/acme/p.md\\0../../outside.md"')
    assert result.diagnostics and "PARTIAL-TEXT" not in rendered(result)
    assert "OUTSIDE-SECRET" not in rendered(result)
    assert all("\x00" not in d.message for d in result.diagnostics)
    result = _dynamic_include(make_project, '"Elements/acme/p\\0.md"')
    assert result.diagnostics and "PARTIAL-TEXT" not in rendered(result)


def test_include_name_with_a_nul_byte_is_called_a_bad_path(make_project) -> None:
    result = _dynamic_include(make_project, '"Elements/acme/p\\0.md"')
    assert codes(result) <= {"ED304", "ED308"} and codes(result)


def test_backslashes_are_separators_inside_includes(make_project) -> None:
    """A Windows-style path inside includes/ finds the partial (as on Windows), and cannot
    be used to climb out."""
    result = _dynamic_include(make_project, '"Elements\\\\acme\\\\p.md"')
    assert not result.diagnostics and "PARTIAL-TEXT" in rendered(result)


def test_symlinked_partial_leading_outside_is_refused(make_project, tmp_path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("OUTSIDE-SECRET\n")
    root = make_project(
        {"content/guide.md": "# G\n\n{% include leak.md %}\n\n{% include dir/inner.md %}\n"}
    )
    (root / "includes" / "leak.md").symlink_to(secret)
    (root / "includes" / "dir").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "inner.md").write_text("OUTSIDE-SECRET\n")
    result = check(root, "content/guide.md")
    assert [d.code for d in result.diagnostics] == ["ED304", "ED304"]
    assert "OUTSIDE-SECRET" not in rendered(result)


# --- resource limits ------------------------------------------------------------------------

_LIMIT_CHILD = """
import json, resource, sys
# a safety net for the machine only: the assertion below is on the peak, far under it
resource.setrlimit(resource.RLIMIT_AS, (4096 << 20, 4096 << 20))
from pathlib import Path
from generator import Project, load_settings
root = Path(sys.argv[1])
project = Project(load_settings(root), use_cache=False)
project.load_all()
result = project.check_page(root / sys.argv[2])
size = len(result.rendered.text) if result.rendered is not None else 0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss << 10
print(json.dumps({"codes": sorted({d.code for d in result.diagnostics}), "size": size,
                  "peak": peak, "messages": [d.message for d in result.diagnostics]}))
"""

NS = "{% set ns = namespace(v=VALUE) %}{% for i in range(80) %}{% set ns.v = STEP %}{% endfor %}"
# each runs without bound in a single operation unless the sandbox measures it first
RUNAWAY = [
    "{{ 'x' * 100000000 }}",
    "{{ [0] * 999999999 }}",
    "{% for i in range(99999) %}{% for j in range(99999) %}x{% endfor %}{% endfor %}",
    "{{ range(10**9)|list }}",
    "{{ (2**64)**(2**64) }}",
    "{{ 10**999999 }}",
    "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    "{{ 'x'|center(10**9) }}",
    "{{ '{:>999999999}'.format('x') }}",
    "{{ '{:.999999999f}'.format(1.5) }}",
    "{{ '{:{w}}'.format('x', w=999999999) }}",
    "{{ 'x'.ljust(999999999) }}",
    "{{ 'x'.rjust(999999999) }}",
    "{{ 'x'.center(999999999) }}",
    "{{ 'x'.zfill(999999999) }}",
    "{{ 'a\tb'.expandtabs(999999999) }}",
    "{{ (1).to_bytes(999999999, 'big') }}",
    "{{ 'x'|indent(999999999) }}",
    "{{ ('x\n' * 1000000)|indent('y' * 100) }}",
    "{{ ('x' * 100000)|wordwrap(1, wrapstring='y' * 1000) }}",
    "{{ '%.999999999f' % 1.5 }}",
    "{{ '%*s' % (999999999, 'x') }}",
    "{{ '%*s'|format(999999999, 'x') }}",
    "{{ '%999999999s'|format('x') }}",
    "{{ ('x' * 1000000).replace('x', 'xxxxxxxxxx') }}",
    "{{ ('x' * 1000000)|replace('x', 'xxxxxxxxxx') }}",
    NS.replace("VALUE", "'x'").replace("STEP", "ns.v|replace('x', 'xx')") + "{{ ns.v|length }}",
    "{{ [1]|slice(999999999)|list|length }}",
    "{{ [1]|batch(999999999, 0)|list|length }}",
    "{{ lipsum(999999999) }}",
    "{{ lipsum(1, min=999999999, max=999999999) }}",
    NS.replace("VALUE", "[1]").replace("STEP", "ns.v + ns.v") + "{{ ns.v|length }}",
    NS.replace("VALUE", "[1]").replace("STEP", "[ns.v, ns.v]") + "{{ ns.v|length }}",
    NS.replace("VALUE", "[1]").replace("STEP", "ns.v * 2") + "{{ ns.v|length }}",
    NS.replace("VALUE", "'x'").replace("STEP", "ns.v ~ ns.v") + "{{ ns.v|length }}",
    NS.replace("VALUE", "'x'").replace("STEP", "ns.v + ns.v") + "{{ ns.v|length }}",
    NS.replace("VALUE", "'x'").replace("STEP", "ns.v * 2") + "{{ ns.v|length }}",
    NS.replace("VALUE", "2").replace("STEP", "ns.v * ns.v") + "{{ ns.v > 1 }}",
    NS.replace("VALUE", "2").replace("STEP", "ns.v|times(ns.v)") + "{{ ns.v > 1 }}",
    NS.replace("VALUE", "'x'").replace("STEP", "ns.v|append(ns.v)") + "{{ ns.v|length }}",
    NS.replace("VALUE", "'x'").replace("STEP", "'%s%s' % (ns.v, ns.v)") + "{{ ns.v|length }}",
    NS.replace("VALUE", "'x'").replace("STEP", "'{}{}'.format(ns.v, ns.v)") + "{{ ns.v|length }}",
    NS.replace("VALUE", "'x'").replace("STEP", "[ns.v, ns.v]|join") + "{{ ns.v|length }}",
]


@pytest.mark.parametrize("template", RUNAWAY)
def test_resource_limits_stop_runaway_templates(make_project, template) -> None:
    """Each runaway template is an ED310 that says which limit stopped it, in seconds and
    under a few hundred MB (the child's address-space limit is only a safety net)."""
    root = make_project({PAGE: HEAD + template + "\n"})
    child = subprocess.run(
        [sys.executable, "-c", _LIMIT_CHILD, str(root), PAGE],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    outcome = json.loads(child.stdout)
    assert outcome["codes"] == ["ED310"], outcome
    assert any(
        f"{kind} limit" in message
        for message in outcome["messages"]
        for kind in ("size", "time", "recursion")
    ), outcome
    assert outcome["size"] < 10_000_000
    assert outcome["peak"] < 400 << 20, f"peak memory {outcome['peak'] >> 20} MB: {outcome}"


@pytest.mark.parametrize(
    "template",
    [
        "{% set l = [] %}{% for i in range(99999) %}{{ l.append(i) }}{% endfor %}",
        "{% set l = [1] %}{% for i in range(60) %}{{ l.extend(l) }}{% endfor %}",
    ],
)
def test_growing_a_list_in_place_is_forbidden(make_project, template) -> None:
    """Lists are read-only in templates (the immutable sandbox): no in-place growth."""
    root = make_project({PAGE: HEAD + template + "\n"})
    result = check(root)
    assert codes(result) == {"ED307"}, result.diagnostics


# --- HTML and script in front matter ----------------------------------------------------------


def _project_copy(tmp_path: Path, heading: str) -> Path:
    root = tmp_path / "site-project"
    root.mkdir()
    copy_repo_project(root)
    page = root / "content" / "elements" / "autotask-crm" / "authenticate.md"
    text = page.read_text(encoding="utf-8")
    assert "\nheading: Autotask CRM\n" in text
    page.write_text(
        text.replace("\nheading: Autotask CRM\n", f"\nheading: {heading}\n", 1), encoding="utf-8"
    )
    return root


def _files_with(folder: Path, needle: str) -> list[str]:
    if not folder.exists():
        return []
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and needle.encode() in p.read_bytes()
    )


def test_script_in_heading_is_reported_and_never_published(tmp_path) -> None:
    root = _project_copy(tmp_path, LIVE_SCRIPT)
    result = run_cli("check", "--format", "json", cwd=root, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert '"code": "ED103"' in result.stdout and "contains '<' or '>'" in result.stdout
    # generator build --out: nothing written
    build = run_cli("build", "--out", "out", cwd=root, timeout=120)
    assert build.returncode == 1 and "Traceback" not in build.stderr + build.stdout
    assert not (root / "out").exists()
    # generator site: the site folder is not written either
    site = run_cli("site", cwd=root, timeout=300)
    assert site.returncode == 1 and "Traceback" not in site.stderr + site.stdout
    assert not (root / "site").exists()
    assert not [p for p in root.iterdir() if p.name.startswith(".site.")]


def test_script_in_any_front_matter_value_of_any_page_is_reported(make_project) -> None:
    root = make_project(
        {
            "content/guide.md": "---\ntitle: Guide\nsummary: <img src=x onerror=alert(1)>\n"
            "note: a < b and c > d\n---\n\n{{ page.summary }}\n",
            PAGE: HEAD.replace("hub: crm\n", "hub: crm\napiKey: <script>alert(1)</script>\n")
            + "\n{{ page.apiKey }}\n",
        }
    )
    guide = check(root, "content/guide.md")
    assert [(d.code, d.location.line) for d in guide.diagnostics] == [("ED103", 3)]
    element = check(root)
    assert [(d.code, d.location.line) for d in element.diagnostics] == [("ED103", 7)]


def test_escaped_html_in_front_matter_stays_text_in_the_built_site(tmp_path) -> None:
    """Entities are allowed (they are text); a real build shows them, never as a tag."""
    root = _project_copy(tmp_path, "Autotask &lt;script&gt;alert(1)&lt;/script&gt; CRM")
    site = run_cli("site", cwd=root, timeout=300)
    assert site.returncode == 0, site.stdout + site.stderr
    assert _files_with(root / "site", LIVE_SCRIPT) == []
    page = root / "site" / "elements" / "autotask-crm" / "authenticate" / "index.html"
    assert "&lt;script&gt;alert(1)" in page.read_text(encoding="utf-8")
    build = run_cli("build", "--out", "out", cwd=root, timeout=120)
    assert build.returncode == 0, build.stdout
    assert _files_with(root / "out", LIVE_SCRIPT) == []


def test_plain_mkdocs_build_that_fails_publishes_nothing_refused(tmp_path) -> None:
    root = _project_copy(tmp_path, LIVE_SCRIPT)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert _files_with(root / "site", LIVE_SCRIPT) == []


# --- what a page may read: partials, never a dot-file or the internal names ----------------

SECRET_GIT, SECRET_ENV = "SECRET-GIT-7f3a", "SECRET-ENV-91bc"
# (text of a line, the code it must get): each is an attempt to read .env or .git/config
READ_ATTEMPTS = [
    ("{% include @root/.git/config %}", "ED304"),
    ("{% include @root/.env %}", "ED304"),
    ("{% include '.git/config' %}", "ED304"),
    ("{% include_relative ../.env %}", "ED304"),
    ("{% include_relative .env %}", "ED304"),
    ("{% include innocent.md %}", "ED304"),  # a link in includes/ to ../.env
    ("{% include_relative beside.txt %}", "ED304"),  # a link beside the page to .git/config
    ("{% import '@root/.env' as x %}{{ x }}", "ED304"),
    ("{% from '@root/.git/config' import y %}", "ED304"),
    ("{% extends '@root/.env' %}", "ED304"),
    ("{{ _ed_enter(_ed_frame, '@root/.env').template }}", "ED307"),
]


def _secret_project(make_project, mkdocs_yml: str | None = None) -> Path:
    """One page per attempt (line 3 of each), beside a .env and a .git/config holding
    secrets, and a link in includes/ and one beside the pages that lead to them."""
    files = {
        f"content/try{number:02}.md": f"# Try {number}\n\n{text}\n\nAfter.\n"
        for number, (text, _) in enumerate(READ_ATTEMPTS)
    }
    files["content/index.md"] = "# Home\n\nFine.\n"
    root = make_project(files, **({"mkdocs_yml": mkdocs_yml} if mkdocs_yml else {}))
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text(
        f"[http]\n\textraheader = AUTHORIZATION: basic {SECRET_GIT}\n"
    )
    (root / ".env").write_text(f"API_TOKEN={SECRET_ENV}\n")
    (root / "content" / ".env").write_text(f"API_TOKEN={SECRET_ENV}\n")
    (root / "includes" / "innocent.md").symlink_to(root / ".env")
    (root / "content" / "beside.txt").symlink_to(root / ".git" / "config")
    return root


def _no_secret_under(folder: Path) -> None:
    assert _files_with(folder, SECRET_GIT) == [] and _files_with(folder, SECRET_ENV) == []


def test_no_name_prefix_or_link_reads_a_dot_file(make_project) -> None:
    root = _secret_project(make_project)
    report = run_cli("check", "--format", "json", cwd=root)
    assert report.returncode == 1 and "Traceback" not in report.stderr
    found = {(d["path"], d["line"]): d["code"] for d in json.loads(report.stdout)["diagnostics"]}
    expected = {
        (f"content/try{number:02}.md", 3): code for number, (_, code) in enumerate(READ_ATTEMPTS)
    }
    assert found == expected
    assert SECRET_ENV not in report.stdout + report.stderr
    assert SECRET_GIT not in report.stdout + report.stderr


def test_a_real_mkdocs_build_publishes_no_secret(make_project) -> None:
    """With ``fail_on_errors: false`` MkDocs writes every page (and the search index):
    none holds a secret, and each attempt is reported at its page's line."""
    yml = MINIMAL_MKDOCS.replace(
        "  - element-docs\n", "  - element-docs:\n      fail_on_errors: false\n"
    )
    root = _secret_project(make_project, yml)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    site = root / "site"
    assert (site / "search" / "search_index.json").is_file()
    assert (site / "try00" / "index.html").is_file()
    _no_secret_under(site)
    for number, (_, code) in enumerate(READ_ATTEMPTS):
        assert f"content/try{number:02}.md:3" in result.stderr and code in result.stderr
    # MkDocs copies the files of the pages' folder that are not pages: the link beside the
    # pages (to .git/config) is not among them, and is named as an error
    assert not (site / "beside.txt").exists()
    assert (
        "content/beside.txt: error ED110 not published: beside.txt is a link that leads "
        "out of the docs folder" in result.stderr
    )


def test_a_jekyll_tree_reads_no_dot_file(tmp_path) -> None:
    root = write_tree(
        tmp_path / "site",
        {
            "_config.yml": "title: T\n",
            "_includes/note.html": "A note.\n",
            "index.md": "---\ntitle: Home\n---\n{% include @root/.git/config %}\n"
            "{% include_relative .env %}\n{% include note.html %}\n",
            "guide.md": "---\ntitle: Guide\n---\n{% include .secret.html %}\n"
            "{% include_relative _includes/note.html %}\n",
            ".env": f"TOKEN={SECRET_ENV}\n",
            "_includes/.secret.html": f"{SECRET_ENV}\n",
            ".git/config": f"{SECRET_GIT}\n",
        },
    )
    result = run_cli("check", "--format", "json", "--jekyll", str(root), cwd=tmp_path)
    assert "Traceback" not in result.stderr and result.returncode == 1
    found = {(d["code"], d["path"], d["line"]) for d in json.loads(result.stdout)["diagnostics"]}
    assert found == {("ED304", "index.md", 4), ("ED304", "index.md", 5), ("ED304", "guide.md", 4)}
    assert SECRET_ENV not in result.stdout and SECRET_GIT not in result.stdout


def test_a_page_linked_outside_the_tree_adds_nothing_to_site_pages(tmp_path) -> None:
    """A page that is a link to a file outside the tree is refused (ED109), and its front
    matter never reaches the other pages through site.pages."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(f"---\npassword: {SECRET_ENV}\n---\nx\n", encoding="utf-8")
    root = write_tree(
        tmp_path / "site",
        {
            "_config.yml": "title: T\n",
            "_includes/note.html": "A note.\n",
            "index.md": "---\ntitle: Home\n---\n"
            "{% for p in site.pages %}[{{ p.password }}]{% endfor %}\n",
        },
    )
    (root / "leak.md").symlink_to(outside / "secret.md")
    out = tmp_path / "out"
    result = run_cli("render", "--jekyll", str(root), "--out", str(out), cwd=tmp_path)
    assert "Traceback" not in result.stderr
    assert re.search(r"^leak\.md:1: error ED109 ", result.stderr, re.M), result.stderr
    assert SECRET_ENV not in result.stdout + result.stderr
    assert SECRET_ENV not in (out / "index.md").read_text(encoding="utf-8")


def test_a_file_include_names_is_published_only_where_its_name_says(tmp_path) -> None:
    """include: names a file by its path and Jekyll reads it even under an excluded folder;
    a name that climbs out of the tree, or passes through a link to a folder outside it,
    publishes nothing (neither as a page nor in an import)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(f"---\ntitle: S\n---\n{SECRET_ENV}\n", encoding="utf-8")
    root = write_tree(
        tmp_path / "site",
        {
            "_config.yml": "title: T\nexclude: [docs]\n"
            "include: [docs/kept.md, docs/link/secret.md, ../outside/secret.md]\n",
            "_includes/note.html": "A note.\n",
            "index.md": "---\ntitle: Home\n---\nHome.\n",
            "docs/kept.md": "---\ntitle: Kept\n---\nKept.\n",
            "docs/left.md": "---\ntitle: Left\n---\nLeft.\n",
        },
    )
    (root / "docs" / "link").symlink_to(outside, target_is_directory=True)
    result = run_cli("render", "--jekyll", str(root), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert "Traceback" not in result.stderr and result.returncode == 0, result.stderr
    written = sorted(
        p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.md")
    )
    assert written == ["docs/kept.md", "index.md"]
    imported = run_cli("import-jekyll", str(root), str(tmp_path / "imported"), cwd=tmp_path)
    assert "Traceback" not in imported.stderr, imported.stderr
    for path in (tmp_path / "imported").rglob("*"):
        assert not path.is_file() or SECRET_ENV.encode() not in path.read_bytes(), path


# --- template globals are read-only -------------------------------------------------------

MUTATIONS = [
    "{% set _ = site.update({'title': 'HACKED'}) %}",
    "{{ site.data.menu.append('HACKED') }}",
    "{{ site.data.menu.extend(['HACKED']) }}",
    "{{ site.data.__setitem__('menu', []) }}",
    "{{ site.data.menu.pop() }}",
    "{{ site.data.menu.sort() }}",
    "{{ site.data.setdefault('extra', 'HACKED') }}",
    "{{ site|attr('clear') }}",
    "{{ site['update']({'title': 'HACKED'}) }}",
]
# a page after them reports an undefined variable if anything they tried took effect
WITNESS = (
    "# Later\n\nMenu: {{ site.data.menu|join(',') }}\n"
    "{% if site.title is defined or site.data.menu|join(',') != 'one,two' "
    "or site.data.extra %}{{ page.site_was_changed }}{% endif %}\n"
)


def _mutating_project(make_project) -> Path:
    files = {
        f"content/a{number:02}.md": f"# Try\n\n{text}\n" for number, text in enumerate(MUTATIONS)
    }
    files["content/b-later.md"] = WITNESS
    files["includes/_data/menu.yml"] = "- one\n- two\n"
    return make_project(files)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_page_cannot_change_site_for_the_pages_after_it(make_project, jobs) -> None:
    root = _mutating_project(make_project)
    result = run_cli("check", "--format", "json", "--jobs", jobs, cwd=root)
    assert "Traceback" not in result.stderr
    found = {(d["path"], d["line"], d["code"]) for d in json.loads(result.stdout)["diagnostics"]}
    assert found == {(f"content/a{number:02}.md", 3, "ED307") for number in range(len(MUTATIONS))}


def test_the_page_cache_keeps_no_text_a_deleted_page_caused(make_project) -> None:
    root = _mutating_project(make_project)
    for _ in range(2):  # the second run reads the cache
        project = Project(load_settings(root), use_cache=True)
        project.load_all()
        results = [project.check_page(path) for path in sorted((root / "content").glob("*.md"))]
        later = results[-1]
        assert later.rel == "content/b-later.md" and not later.diagnostics
        assert "Menu: one,two" in rendered(later) and "HACKED" not in rendered(later)
    for path in (root / "content").glob("a*.md"):
        path.unlink()
    project = Project(load_settings(root), use_cache=True)
    project.load_all()
    later = project.check_page(root / "content/b-later.md")
    assert not later.diagnostics and "HACKED" not in rendered(later)


_PEAK_OF = """
import json, resource, subprocess, sys
run = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=300)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss << 10
print(json.dumps({"code": run.returncode, "out": run.stdout + run.stderr, "stdout": run.stdout,
                  "peak": peak}))
"""


@pytest.mark.parametrize(
    "command",
    [
        ["-m", "generator", "check"],
        ["-m", "generator", "build", "--out", "out"],
        ["-m", "mkdocs", "build"],
    ],
)
def test_every_command_stops_runaway_templates_without_an_rlimit(make_project, command) -> None:
    """No limit is set on the process: the sandbox alone keeps it in seconds and a few
    hundred MB, and each runaway page is an ED310 at its line."""
    pages = {
        "content/a.md": "# A\n\n{{ 'x'|center(10**9) }}\n",
        "content/b.md": "# B\n\n{% set ns = namespace(v='x') %}{% for i in range(60) %}"
        "{% set ns.v = ns.v ~ ns.v %}{% endfor %}{{ ns.v|length }}\n",
        "content/c.md": "# C\n\n{{ '{:>999999999}'.format('x') }}\n",
        "content/d.md": "# D\n\n{% set ns = namespace(v=[1]) %}{% for i in range(60) %}"
        "{% set ns.v = ns.v + ns.v %}{% endfor %}{{ ns.v|length }}\n",
        "content/index.md": "# Home\n\nFine.\n",
    }
    root = make_project(pages)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    child = subprocess.run(
        [sys.executable, "-c", _PEAK_OF, sys.executable, *command],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )
    outcome = json.loads(child.stdout)
    assert outcome["code"] == 1 and "Traceback" not in outcome["out"], outcome["out"][-3000:]
    for page in ("a", "b", "c", "d"):
        assert f"content/{page}.md:3" in outcome["out"] and "ED310" in outcome["out"]
    assert "size limit" in outcome["out"]
    assert outcome["peak"] < 500 << 20, f"peak memory {outcome['peak'] >> 20} MB"


# --- project schemas: references stay among the project's schemas ---------------------------


def test_schema_references_reach_neither_the_network_nor_files(make_project, tmp_path) -> None:
    """A $ref or $dynamicRef to a server (one this test runs on 127.0.0.1), to a file:// URL
    or climbing out of schemas/ is not followed: no request arrives, no file is read, and
    the secret it holds is printed nowhere, by check nor by a real mkdocs build."""
    import http.server
    import threading

    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            requests.append(self.path)
            body = b'{"const": "SERVED-SECRET"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    secret = tmp_path / "secret.json"
    secret.write_text('{"const": "FILE-SECRET", "enum": ["FILE-SECRET"]}\n')
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{url}/base/widget.schema.json",
        "type": "object",
        "properties": {
            "a": {"$ref": f"{url}/remote.schema.json"},
            "b": {"$ref": secret.as_uri()},
            "c": {"$ref": "../../secret.json"},  # against the $id: the server again
            "d": {"$dynamicRef": f"{url}/dynamic.schema.json#meta"},
        },
    }
    try:
        root = make_project(
            {
                "schemas/widget.schema.json": json.dumps(schema, indent=2) + "\n",
                "content/guide.md": "# Guide\n\n```json example=widget\n"
                '{"a": "x", "b": "y", "c": "z", "d": "w"}\n```\n',
            }
        )
        (tmp_path / "project" / "schemas" / "secret.json").symlink_to(secret)
        result = run_cli("check", "--format", "json", cwd=root, timeout=60)
        build = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "-q"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert requests == []
    shown = result.stdout + result.stderr + build.stdout + build.stderr
    site = (
        "".join(p.read_text(errors="replace") for p in (root / "site").rglob("*") if p.is_file())
        if (root / "site").exists()
        else ""
    )
    for text in (shown, site):
        assert "FILE-SECRET" not in text and "SERVED-SECRET" not in text
    assert "Traceback" not in shown
    found = json.loads(result.stdout)["diagnostics"]
    refused = sorted(
        (d["line"], d["message"])
        for d in found
        if d["code"] == "ED250" and d["path"] == "schemas/widget.schema.json"
    )
    written = json.dumps(schema, indent=2).split("\n")
    assert [line for line, _ in refused] == [
        number for number, text in enumerate(written, start=1) if 'Ref"' in text or "$ref" in text
    ]
    assert [message.split(" ")[0] for _, message in refused] == [
        "$ref",
        "$ref",
        "$ref",
        "$dynamicRef",
    ]
    assert "reads nothing from the network" in refused[0][1]
    assert "never to a file elsewhere" in refused[1][1]
    assert result.returncode == 1 and build.returncode == 1


def test_references_among_the_project_schemas_still_work(make_project) -> None:
    """By file name, by $id and to a part of another schema; the shipped schemas too."""
    root = make_project(
        {
            "schemas/part.schema.json": '{"$id": "urn:test:part", "type": "string",\n'
            ' "$defs": {"small": {"maximum": 3}}}\n',
            "schemas/widget.schema.json": json.dumps(
                {
                    "type": "object",
                    "properties": {
                        "a": {"$ref": "part.schema.json"},
                        "b": {"$ref": "urn:test:part"},
                        "c": {"$ref": "part.schema.json#/$defs/small"},
                        "d": {"$ref": "urn:element-docs:instance-request"},
                    },
                }
            ),
            "content/guide.md": "# Guide\n\n```json example=widget\n"
            '{"a": 1, "b": "ok", "c": 5, "d": {}}\n```\n',
        }
    )
    code, report = check_json(root)
    messages = sorted(d["message"] for d in report["diagnostics"])
    assert code == 1 and sorted({m.split(":")[0] for m in messages}) == ["$.a", "$.c", "$.d"], (
        messages
    )


# --- a page swapped for a link while it is opened ---------------------------------------------


def _swap_to_link(page: Path, target: Path) -> None:
    link = page.with_name(page.name + ".swap")
    link.symlink_to(target)
    os.replace(link, page)


@pytest.mark.parametrize("with_o_path", [True, False], ids=["O_PATH", "portable"])
def test_a_page_swapped_for_a_link_between_check_and_open_is_not_read_through_it(
    make_project, tmp_path, monkeypatch, with_o_path
) -> None:
    """The name is swapped for a link to a secret outside at the worst moment: right after
    what was opened is checked (on Linux: the O_PATH descriptor's real path; elsewhere: the
    real path's stat). What is read is the page that was checked, or nothing."""
    from generator.load import files

    secret = tmp_path / "secret.md"
    secret.write_text("TOP-SECRET-TOKEN\n")
    root = make_project({"content/page.md": "# Inside\n"})
    page = root / "content" / "page.md"
    settings = load_settings(root)
    if not with_o_path:
        monkeypatch.setattr(files, "_O_PATH", 0)
    swapped: list[str] = []
    real_readlink, real_stat = os.readlink, os.stat

    def swap_once() -> None:
        if not swapped:
            swapped.append("done")
            _swap_to_link(page, secret)

    def readlink(path, *args, **kwargs):
        result = real_readlink(path, *args, **kwargs)
        if str(path).startswith("/proc/self/fd/"):
            swap_once()
        return result

    def stat(path, *args, **kwargs):
        result = real_stat(path, *args, **kwargs)
        if str(path) == str(page):
            swap_once()
        return result

    monkeypatch.setattr(files.os, "readlink", readlink)
    monkeypatch.setattr(files.os, "stat", stat)
    raw, problem = files.read_page_bytes(page, "content/page.md", settings)
    assert swapped, "the swap did not happen where the test meant it to"
    assert raw in (None, b"# Inside\n"), raw
    assert problem is None or "TOP-SECRET" not in problem.message
    monkeypatch.undo()
    # the link now in its place is refused when read again, as any link leading out
    raw, problem = files.read_page_bytes(page, "content/page.md", settings)
    assert raw is None and problem is not None and problem.code == "ED109"


def test_a_page_flipping_between_file_and_link_never_reads_outside(make_project, tmp_path) -> None:
    """A real race: a thread keeps swapping the page for a link to a secret outside and
    back while the page is read again and again."""
    import threading

    from generator.load import files

    secret = tmp_path / "secret.md"
    secret.write_text("TOP-SECRET-TOKEN\n")
    root = make_project({"content/page.md": "# Inside\n"})
    page = root / "content" / "page.md"
    copy = root / "content" / "page.copy"
    copy.write_text("# Inside\n")
    settings = load_settings(root)
    stop = threading.Event()

    def flip() -> None:
        while not stop.is_set():
            _swap_to_link(page, secret)
            os.link(copy, page.with_name("page.md.back"))
            os.replace(page.with_name("page.md.back"), page)

    thread = threading.Thread(target=flip)
    thread.start()
    seen: set[bytes | None] = set()
    codes_seen: set[str] = set()
    try:
        for _ in range(3000):
            raw, problem = files.read_page_bytes(page, "content/page.md", settings)
            seen.add(raw)
            if problem is not None:
                codes_seen.add(problem.code)
    finally:
        stop.set()
        thread.join()
    assert seen <= {None, b"# Inside\n"}, seen
    assert b"# Inside\n" in seen and codes_seen <= {"ED109"}, (seen, codes_seen)


# --- import-jekyll: links out of the tree are refused, as check --jekyll refuses them -------


def test_import_jekyll_refuses_partials_and_data_linked_outside(tmp_path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "partial.md").write_text("PARTIAL-SECRET\n")
    (outside / "data.yml").write_text("token: DATA-SECRET\n")
    src = tmp_path / "src"
    for name, text in {
        "_config.yml": "title: Tree\n",
        "docs/page.md": "---\ntitle: Page\n---\n\n{% include ok.md %}\n"
        "{% include leak.md %}\n{{ site.data.ok.x }}\n",
        "_includes/ok.md": "OK-PARTIAL\n",
        "_data/ok.yml": "x: OK-DATA\n",
    }.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text)
    (src / "_includes" / "leak.md").symlink_to(outside / "partial.md")
    (src / "_includes" / "inside.md").symlink_to("ok.md")  # stays in the tree: imported
    (src / "_data" / "leak.yml").symlink_to(outside / "data.yml")
    checked = run_cli("check", "--format", "json", "--jekyll", str(src), cwd=tmp_path)
    in_place = {(d["code"], d["path"]) for d in json.loads(checked.stdout)["diagnostics"]}
    assert in_place == {("ED403", "_data/leak.yml"), ("ED304", "docs/page.md")}

    dest = tmp_path / "dest"
    result = run_cli("import-jekyll", str(src), str(dest), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    written = {p.relative_to(dest).as_posix(): p for p in dest.rglob("*") if p.is_file()}
    assert {
        "includes/ok.md",
        "includes/inside.md",
        "includes/_data/ok.yml",
        "content/page.md",
    } <= set(written)
    assert "includes/leak.md" not in written and "includes/_data/leak.yml" not in written
    assert not any(p.is_symlink() for p in dest.rglob("*"))
    everything = result.stdout + "".join(p.read_text(errors="replace") for p in written.values())
    assert "PARTIAL-SECRET" not in everything and "DATA-SECRET" not in everything
    for link in ("_includes/leak.md", "_data/leak.yml"):
        assert (
            f"    {link}\n      line 1: error ED110 not imported: it is a link to" in result.stdout
        ), result.stdout


# --- pages that are not files, under mkdocs build and generator site --------------------------


def test_pages_that_are_not_files_are_reported_by_mkdocs_build_and_site(
    make_project, tmp_path
) -> None:
    """A fifo (MkDocs would wait on it for ever), a link to /dev/zero (it would read without
    end), a link to itself, a broken link and a link to a file outside: each an error at the
    page, under a real mkdocs build and generator site as under check; the build fails,
    nothing is published, the previous site stays whole, and no traceback."""
    outside = tmp_path / "outside.md"
    outside.write_text("# OUTSIDE-SECRET\n")
    root = make_project({"content/ok.md": "# OK\n"})
    first = run_cli("site", cwd=root, timeout=180)
    assert first.returncode == 0, first.stderr
    before = (root / "site" / "ok" / "index.html").read_bytes()
    content = root / "content"
    os.mkfifo(content / "pipe.md")
    (content / "zero.md").symlink_to("/dev/zero")
    (content / "self.md").symlink_to("self.md")
    (content / "broken.md").symlink_to("nowhere.md")
    (content / "leak.md").symlink_to(outside)
    expected = {
        "content/pipe.md: error ED106",
        "content/zero.md: error ED109",
        "content/self.md: error ED106",
        "content/broken.md: error ED106",
        "content/leak.md: error ED109",
    }
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    try:
        build = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "-d", "built"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        site = run_cli("site", cwd=root, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("a page that is a fifo or a link to /dev/zero hung the build")
    for result in (build, site):
        shown = result.stdout + result.stderr
        assert result.returncode == 1 and "Traceback" not in shown, shown
        found = {
            line.split(":1: ")[0].split()[-1] + ": " + line.split(":1: ")[1][:11]
            for line in shown.splitlines()
            if ":1: error ED1" in line
        }
        assert found == expected, shown
        assert "OUTSIDE-SECRET" not in shown
    assert not (root / "built").exists()
    assert (root / "site" / "ok" / "index.html").read_bytes() == before


# --- a cache that cannot be used, or holds damaged entries -----------------------------------


def test_a_cache_folder_that_is_a_file_costs_speed_only(make_project) -> None:
    root = make_project({"content/ok.md": "# OK {{ page.nope }}\n"})
    (root / ".element-docs-cache").write_text("not a folder\n")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    check = run_cli("check", cwd=root)
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    for result in (check, build):
        shown = result.stdout + result.stderr
        assert "Traceback" not in shown and result.returncode == 1, shown
        assert "content/ok.md:1:" in shown and "ED302" in shown
        assert (
            shown.count(
                "the page cache .element-docs-cache/ cannot be used (it is a file, not a folder)"
            )
            == 1
        ), shown
    assert (root / ".element-docs-cache").read_text() == "not a folder\n"


def test_cache_entries_of_the_right_shape_with_wrong_types_are_misses(make_project) -> None:
    """Each damaged entry is read as a miss: the page is checked again and reported as
    on a clean run, the damage said once, never a traceback."""
    import sqlite3

    pages = {f"content/p{i}.md": f"# P{i} {{{{ page.nope{i} }}}}\n" for i in range(6)}
    root = make_project(pages)
    clean = run_cli("check", "--format", "json", cwd=root)
    expected = json.loads(clean.stdout)["diagnostics"]
    assert len(expected) == 6
    database = root / ".element-docs-cache" / "pages.sqlite3"
    damage = [
        lambda e: e["rendered"].update(failed="no"),
        lambda e: e["rendered"].update(partials="abc"),
        lambda e: e.update(diagnostics=[["ED999", "forged", None, "", [], None]]),
        lambda e: e.update(diagnostics=[[1, 2, 3, 4, 5, 6]]),
        lambda e: e.update(dependencies=["partial:x"], page_hash=7),
        lambda e: e["rendered"]["diagnostics"].append(
            ["ED302", "m", ["p", "x", 1], "", [], "bogus"]
        ),
    ]
    with sqlite3.connect(database) as db:
        rows = sorted(db.execute("SELECT rel, entry FROM pages").fetchall())
        assert len(rows) == 6
        for (rel, text), spoil in zip(rows, damage, strict=True):
            entry = json.loads(text)
            spoil(entry)
            db.execute("UPDATE pages SET entry = ? WHERE rel = ?", (json.dumps(entry), rel))
    db.close()
    again = run_cli("check", "--format", "json", cwd=root)
    assert "Traceback" not in again.stderr and again.returncode == 1, again.stderr
    assert json.loads(again.stdout)["diagnostics"] == expected
    assert again.stderr.count("a damaged entry in the page cache") == 1, again.stderr


@pytest.mark.parametrize("kind", ["partial", "data file"])
def test_a_partial_or_data_file_swapped_for_a_link_at_the_worst_moment_is_not_read(
    make_project, tmp_path, monkeypatch, kind
) -> None:
    """As for pages: the name is swapped for a link to a secret outside right after what
    was opened has been checked; the secret is read by no part of the run."""
    from generator.load import files

    secret = tmp_path / "secret.md"
    secret.write_text("token: TOP-SECRET-TOKEN\n")
    root = make_project(
        {
            "content/page.md": "# Page\n\n{% include part.md %}\n{{ site.data.facts.token }}\n",
            "includes/part.md": "Partial text.\n",
            "includes/_data/facts.yml": "token: harmless\n",
        }
    )
    name = root / "includes" / ("part.md" if kind == "partial" else "_data/facts.yml")
    swapped: list[str] = []
    real_readlink = os.readlink

    def readlink(path, *args, **kwargs):
        result = real_readlink(path, *args, **kwargs)
        if str(path).startswith("/proc/self/fd/") and result == str(name) and not swapped:
            swapped.append(result)
            _swap_to_link(name, secret)
        return result

    monkeypatch.setattr(files.os, "readlink", readlink)
    project = Project(load_settings(root), use_cache=False)
    project.load_all()
    result = project.check_page(root / "content" / "page.md")
    assert swapped, "the swap did not happen where the test meant it to"
    assert "TOP-SECRET" not in rendered(result)
    assert all("TOP-SECRET" not in d.message for d in result.diagnostics)


# --- the same, in Liquid, under check --jekyll ----------------------------------------------

LIQUID_HOSTILE = [
    (
        "{% assign x = 'x' %}{% for i in (1..60) %}{% assign x = x | append: x %}{% endfor %}"
        "{{ x | size }}",
        "ED310",
    ),
    (
        "{% assign n = 2 %}{% for i in (1..40) %}{% assign n = n | times: n %}{% endfor %}{{ n }}",
        "ED310",
    ),
    (
        "{% capture c %}x{% endcapture %}{% for i in (1..60) %}{% capture c %}{{ c }}{{ c }}"
        "{% endcapture %}{% endfor %}{{ c | size }}",
        "ED310",
    ),
    (
        "{% assign s = 'x' %}{% for i in (1..60) %}{% assign s = s | prepend: s %}{% endfor %}",
        "ED310",
    ),
    (
        "{{ 'x' | replace: 'x', 'yyyyyyyyyy' | replace: 'y', 'zzzzzzzzzz' | replace: 'z', "
        "'wwwwwwwwww' | replace: 'w', 'vvvvvvvvvv' | replace: 'v', 'uuuuuuuuuu' | replace: 'u', "
        "'tttttttttt' | replace: 't', 'ssssssssss' | size }}",
        "ED310",
    ),
    ("{% for i in (1..999999999) %}x{% endfor %}", "ED310"),
    ("{{ _ed_problem }}", "ED307"),
    ("{% include @root/_config.yml %}", "ED304"),
    ("{% include_relative .env %}", "ED304"),
]


def test_liquid_in_a_jekyll_tree_is_held_to_the_same_limits(tmp_path) -> None:
    files = {
        "_config.yml": "title: T\n",
        "_includes/note.html": "Note.\n",
        ".env": f"TOKEN={SECRET_ENV}\n",
    }
    for number, (line, _) in enumerate(LIQUID_HOSTILE):
        files[f"p{number:02}.md"] = f"---\ntitle: P\n---\n{line}\n"
    root = write_tree(tmp_path / "site", files)
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            _PEAK_OF,
            sys.executable,
            "-m",
            "generator",
            "check",
            "--format",
            "json",
            "--jekyll",
            str(root),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    outcome = json.loads(child.stdout)
    assert outcome["code"] == 1 and "Traceback" not in outcome["out"]
    report = json.loads(outcome["stdout"])
    found = {(d["path"], d["line"], d["code"]) for d in report["diagnostics"]}
    assert found == {
        (f"p{number:02}.md", 4, code) for number, (_, code) in enumerate(LIQUID_HOSTILE)
    }
    assert SECRET_ENV not in outcome["out"]
    assert outcome["peak"] < 400 << 20, f"peak memory {outcome['peak'] >> 20} MB"
