"""Existing Jekyll trees: ``generator check`` in place and ``generator import-jekyll``, on
small trees written here and on the corpus sample (../shared, through require_shared)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import CORPUS, SHARED, require_shared, run_cli, write_tree

from generator.cli.import_jekyll import import_tree
from generator.load.jekyll_tree import is_jekyll_tree, jekyll_settings
from generator.pipeline.project import Project
from generator.settings import load_settings

# --- a small Jekyll tree of our own -----------------------------------------------------

REQUEST = """\
```json
{
  "element": {"key": "{{ page.elementKey }}"},
  "configuration": {
    "{{ page.hdOrcrm }}.widget.user": "<USER>",
    "{{ page.hdOrcrm }}.widget.secret": "<SECRET>"
  },
  "name": "<INSTANCE_NAME>"
}
```"""

WIDGET_TREE = {
    "_config.yml": "title: Widget Docs\nconsole: Widget Console\nbaseurl: /docs\n"
    "exclude: [notes]\nmarkdown: kramdown\n",
    "_data/words.yml": "instance-name: What you call the connection.\n",
    "_includes/tip.html": '<p class="tip {{ include.level }}">{{ include.text }}</p>\n',
    "_includes/widget/connect.md": textwrap.dedent("""\
        # Connect {{ page.heading }}

        {% include tip.html text="Keep <code>both</code> keys 'secret'" level="warn" %}
        {% assign steps = "Sign in,Open settings,Copy keys" | split: "," %}
        {% for step in steps %}
        {{ forloop.index }}. {{ step }}{% if forloop.last %} (last){% endif %}
        {% endfor %}

        Body:

        REQUEST

        | Parameter | Description |
        | --- | --- |
        | `{{ page.hdOrcrm }}.widget.user` | {{ site.data.words.instance-name }} |
        | `{{ page.hdOrcrm }}.widget.secret` | The secret. |
        """).replace("REQUEST", REQUEST),
    "docs/elements/widget-crm/authenticate.md": textwrap.dedent("""\
        ---
        heading: Widget CRM
        title: Authenticate
        elementId: 31
        elementKey: widgetcrm
        hdOrcrm: crm
        ---

        {% include widget/connect.md %}

        ## Example Response

        ```json
        {
          "id": 100,
          "name": "My Widget",
          "token": "ABC/Dxxxxxxxx",
          "element": {"id": 13, "key": "widgetcrm", "name": "Widget CRM", "hub": "crm"}
        }
        ```
        """),
    "docs/elements/widget-crm/setup.md": textwrap.dedent("""\
        ---
        heading: Widget CRM
        title: Setup
        elementId: 31
        ---

        {% include_relative parts/common.md %}
        Ask for the **{{ page.apiKey }}** in {{ site.console }}.
        """),
    "docs/elements/widget-crm/parts/common.md": "Shared steps for {{ page.heading }}.\n",
    "docs/index.md": textwrap.dedent("""\
        ---
        title: Home
        ---

        {% capture greeting %}Welcome to {{ site.title }}{% endcapture %}{{ greeting }}

        ```bash
        curl -H "token: {{token}}" https://example.org/{{ "x" | relative_url }}
        ```
        """),
    "_drafts/later.md": "---\ntitle: Draft\n---\n{{ page.nope }}\n",
    "notes/todo.md": "---\ntitle: Note\n---\n{{ page.nope }}\n",
    "docs/README.md": "No front matter: Jekyll copies this file as it is. {{ nope }}\n",
}

# The defects in WIDGET_TREE, each as (code, path, line): the response's element id is 13
# but the page's elementId is 31; setup.md reads page.apiKey, which it never defines; the
# home page's cURL holds a Postman-style {{token}} that Jekyll would print as nothing.
WIDGET_DEFECTS = {
    ("ED201", "docs/elements/widget-crm/authenticate.md", 18),
    ("ED302", "docs/elements/widget-crm/setup.md", 8),
    ("ED302", "docs/index.md", 8),
}


def widget_tree(root: Path, defects: bool = True) -> Path:
    files = dict(WIDGET_TREE)
    if not defects:
        files["docs/elements/widget-crm/authenticate.md"] = files[
            "docs/elements/widget-crm/authenticate.md"
        ].replace('"id": 13', '"id": 31')
        files["docs/elements/widget-crm/setup.md"] = files[
            "docs/elements/widget-crm/setup.md"
        ].replace("title: Setup", "title: Setup\napiKey: API Key")
        files["docs/index.md"] = files["docs/index.md"].replace(
            "{{token}}", "{% raw %}{{token}}{% endraw %}"
        )
    return write_tree(root, files)


def triples(diagnostics: list[dict]) -> set[tuple[str, str, int]]:
    return {(d["code"], d["path"], d["line"]) for d in diagnostics}


def test_a_jekyll_tree_is_checked_in_place_as_jekyll_renders_it(tmp_path):
    root = widget_tree(tmp_path / "site")
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    result = run_cli("check", "--format", "json", "--jekyll", str(root), cwd=tmp_path)
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert triples(report["diagnostics"]) == WIDGET_DEFECTS
    assert report["summary"]["pages"] == 3  # _drafts/, notes/ (exclude:) and README: not pages
    assert "_drafts/ (folders starting with '_'): 1 page" in result.stderr
    assert "paths under exclude: in _config.yml: 1 page" in result.stderr
    assert "files without front matter" in result.stderr
    undefined = {d["message"] for d in report["diagnostics"] if d["code"] == "ED302"}
    assert undefined == {"'page.apiKey' is undefined", "'token' is undefined"}
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before  # nothing written
    # a folder with _config.yml and _includes/ but no mkdocs.yml is recognised by itself
    assert is_jekyll_tree(root)
    auto = run_cli("check", "--format", "json", cwd=root)
    assert triples(json.loads(auto.stdout)["diagnostics"]) == WIDGET_DEFECTS


def test_a_check_in_place_caches_in_the_user_cache_folder_and_sees_every_edit(
    tmp_path, monkeypatch
):
    """Repeated checks of a Jekyll tree reuse their work from $XDG_CACHE_HOME/element-docs/
    (nothing is written into the tree), see an edit at once, and --no-cache and
    'generator cache clear' do what they say."""
    cache_home = tmp_path / "cache-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    root = widget_tree(tmp_path / "site")
    before = sorted(p.relative_to(root) for p in root.rglob("*"))

    def check(*extra: str) -> set[tuple[str, str, int]]:
        result = run_cli("check", "--format", "json", "--jekyll", str(root), *extra, cwd=tmp_path)
        assert "Traceback" not in result.stderr, result.stderr
        return triples(json.loads(result.stdout)["diagnostics"])

    assert check("--no-cache") == WIDGET_DEFECTS
    assert not cache_home.exists()
    assert check() == WIDGET_DEFECTS
    [folder] = (cache_home / "element-docs").iterdir()
    assert folder.name.startswith("site-") and any(folder.iterdir())
    assert check() == WIDGET_DEFECTS  # from the cache
    page = root / "docs/elements/widget-crm/authenticate.md"
    page.write_text(page.read_text().replace('"id": 13', '"id": 31'))
    assert check() == WIDGET_DEFECTS - {("ED201", "docs/elements/widget-crm/authenticate.md", 18)}
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    cleared = run_cli("cache", "clear", "--jekyll", str(root), cwd=tmp_path)
    assert cleared.returncode == 0 and str(folder) in cleared.stdout
    assert not folder.exists()
    assert (
        run_cli("cache", "clear", "--jekyll", str(root), cwd=tmp_path).stdout
        == "no cache to clear\n"
    )


def test_in_place_rendering_uses_config_data_partials_and_relative_includes(tmp_path):
    root = widget_tree(tmp_path / "site")
    project = Project(jekyll_settings(root))
    project.load_all()
    auth = project.check_page(root / "docs/elements/widget-crm/authenticate.md").rendered.text
    assert "# Connect Widget CRM" in auth
    assert "<p class=\"tip warn\">Keep <code>both</code> keys 'secret'</p>" in auth
    assert "1. Sign in\n\n2. Open settings\n\n3. Copy keys (last)" in auth
    assert '"crm.widget.user": "<USER>"' in auth
    assert "| `crm.widget.secret` | The secret. |" in auth
    assert "What you call the connection." in auth
    setup = project.check_page(root / "docs/elements/widget-crm/setup.md").rendered.text
    assert "Shared steps for Widget CRM." in setup and "Widget Console" in setup
    home = project.check_page(root / "docs/index.md").rendered.text
    assert "Welcome to Widget Docs" in home and "https://example.org//docs/x" in home


def test_config_defaults_collections_and_page_url_are_as_jekyll_gives_them(tmp_path):
    root = write_tree(
        tmp_path / "site",
        {
            "_config.yml": "title: T\ndefaults:\n  - scope: {path: ''}\n    values: {team: all}\n"
            "  - scope: {path: guides}\n    values: {team: docs, owner: ann}\n"
            "  - scope: {path: guides, type: posts}\n    values: {team: posts}\n"
            "collections: {recipes: {output: true}, drafts2: {output: false}}\n",
            "_recipes/soup.md": "---\ntitle: Soup\n---\nsoup\n",
            "_drafts2/later.md": "---\ntitle: Later\n---\nlater\n",
            "_posts/2020-01-02-news.md": "---\ntitle: News\n---\nnews\n",
            "_includes/x.md": "",
            "guides/start.md": "---\ntitle: Start\n---\n{{ page.team }} {{ page.owner }} "
            "{{ page.url }} {{ page.dir }}[{{ site.baseurl }}]\n",
            "guides/index.md": "---\nowner: me\n---\n{{ page.owner }} {{ page.url }}\n",
            "other.md": "---\n---\n{{ page.team }} {{ page.owner }}\n",
        },
    )
    project = Project(jekyll_settings(root))
    project.load_all()
    start = project.check_page(root / "guides/start.md")
    assert start.rendered.text == "docs ann /guides/start.html /guides/[]\n"
    assert project.check_page(root / "guides/index.md").rendered.text == "me /guides/\n"
    other = project.check_page(root / "other.md")
    assert other.rendered.text == "all \n" and [d.code for d in other.diagnostics] == ["ED302"]
    # collections Jekyll writes out are pages too: _posts and those with output: true
    assert sorted(p.relative_to(root).as_posix() for p in project.documents) == [
        "_posts/2020-01-02-news.md",
        "_recipes/soup.md",
        "guides/index.md",
        "guides/start.md",
        "other.md",
    ]


def test_import_writes_our_layout_with_every_line_in_place(tmp_path):
    src = widget_tree(tmp_path / "site")
    dest = tmp_path / "imported"
    result = run_cli("import-jekyll", str(src), str(dest), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "pages:        3 (docs/ -> content/)" in result.stdout
    assert "checked the imported tree: 3 errors" in result.stdout
    for path in (
        "content/elements/widget-crm/authenticate.md",
        "content/index.md",
        "content/elements/widget-crm/parts/common.md",
        "includes/tip.html",
        "includes/widget/connect.md",
        "includes/_data/words.yml",
        "mkdocs.yml",
    ):
        assert (dest / path).is_file(), path
    assert not (dest / "content/_drafts").exists() and not (dest / "content/notes").exists()
    config = (dest / "mkdocs.yml").read_text()
    assert "site_name: Widget Docs" in config and "console: Widget Console" in config
    assert "baseurl: /docs" in config and "- element-docs:" in config
    assert "use_directory_urls: false" in config and "/README.md" in config  # exclude_docs
    partial = (dest / "includes/widget/connect.md").read_text()
    assert '{% set vars.steps = "Sign in,Open settings,Copy keys" | split(",") %}' in partial
    original = (src / "_includes/widget/connect.md").read_text()
    assert partial.count("\n") == original.count("\n")
    # the imported tree renders the same text with the same diagnostics, line for line
    before = Project(jekyll_settings(src), use_cache=False)
    after = Project(load_settings(dest), use_cache=False)
    before.load_all()
    after.load_all()
    pairs = [
        ("docs/elements/widget-crm/authenticate.md", "content/elements/widget-crm/authenticate.md"),
        ("docs/elements/widget-crm/setup.md", "content/elements/widget-crm/setup.md"),
        ("docs/index.md", "content/index.md"),
    ]
    for old, new in pairs:
        a, b = before.check_page(src / old), after.check_page(dest / new)
        assert a.rendered.text == b.rendered.text
        assert [(d.code, d.location.line, d.message) for d in a.diagnostics] == [
            (d.code, d.location.line, d.message) for d in b.diagnostics
        ]


def test_import_refuses_a_non_empty_destination_unless_forced(tmp_path):
    src = widget_tree(tmp_path / "site")
    dest = tmp_path / "out"
    (dest / "keep").mkdir(parents=True)
    (dest / "keep/mine.txt").write_text("mine")
    refused = run_cli("import-jekyll", str(src), str(dest), cwd=tmp_path)
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert (dest / "keep/mine.txt").read_text() == "mine"
    inside = run_cli("import-jekyll", str(src), str(src / "docs/new"), cwd=tmp_path)
    assert inside.returncode == 2 and "overlaps" in inside.stderr
    forced = run_cli("import-jekyll", "--force", str(src), str(dest), cwd=tmp_path)
    assert forced.returncode == 0 and not (dest / "keep").exists()
    assert (dest / "mkdocs.yml").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging left


def _mkdocs_build(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_an_imported_clean_tree_builds_with_mkdocs(tmp_path):
    src = widget_tree(tmp_path / "site", defects=False)
    assert run_cli("check", "--jekyll", str(src), cwd=tmp_path).returncode == 0
    dest = tmp_path / "imported"
    import_tree(src, dest)
    build = _mkdocs_build(dest)
    assert build.returncode == 0, build.stderr
    page = (dest / "site/elements/widget-crm/authenticate.html").read_text()
    assert "crm.widget.user" in page and "widgetcrm" in page


# --- the corpus sample ----------------------------------------------------------------------

BOX_AUTH = "docs/elements/box/authenticate.md"
BOX_EVENTS = "docs/elements/box/events.md"
HUBSPOT = "docs/elements/hubspot-crm/authenticate.md"
HUBSPOT_AUTH = "_includes/Elements/Hubspot/authenticate.md"
HUBSPOT_EVENTS = "_includes/Elements/Hubspot/events.md"

# Each finding read in its block (tests/validate/precision/devportal-sample.yml holds the
# verdicts and tests/validate/test_precision.py the check with the archive): the errors of
# the published pages.
CORPUS_ERRORS = {
    # the OAuth-URL cURL is three lines without a trailing backslash: three commands
    ("ED220", BOX_AUTH, 71),
    # the request body sends filter.response.nulls; the cURL that repeats it does not
    ("ED223", BOX_AUTH, 127),
    # ... and the Parameters table does not list filter.response.nulls
    ("ED230", BOX_AUTH, 127),
    # the webhook request body sends events.list.ids, which the Parameters table lacks
    ("ED230", BOX_EVENTS, 72),
    # the webhook cURL's -d body misses the comma after "oauth.api.secret" (line 108)
    ("ED224", BOX_EVENTS, 109),
    # the example response's element.id is 229; the page's elementId is 168
    ("ED201", HUBSPOT, 28),
    # the example response closes one brace too many
    ("ED210", HUBSPOT, 74),
    # the OAuth request body sends filter.response.nulls; the Parameters table lacks it
    ("ED230", HUBSPOT_AUTH, 144),
    # the API-key request body holds a real-looking HubSpot API key (a UUID)
    ("ED240", HUBSPOT_AUTH, 203),
    # the API-key request body sends filter.response.nulls; its cURL does not
    ("ED223", HUBSPOT_AUTH, 206),
    # ... and the Parameters table does not list it
    ("ED230", HUBSPOT_AUTH, 206),
    # the polling and the webhooks request bodies send filter.response.nulls, which the
    # events page's Parameters table does not list
    ("ED230", HUBSPOT_EVENTS, 85),
    ("ED230", HUBSPOT_EVENTS, 182),
    # the query-language cURLs send real-looking User, Organization and Element secrets
    *{("ED240", "_includes/ceql-ref.md", line) for line in (69, 89, 115, 135, 155)},
    # an apostrophe ends the quoted -d body and the shell expands ${date:...}
    ("ED220", "_includes/Elements/autotask/events.md", 101),
    # an unquoted '&' in the URL ends the command
    ("ED220", "_includes/Elements/infusionsoft/authenticate.md", 45),
}
# Warnings worth reading: real-looking grant codes (short-lived) and the stored secrets of an
# example response (a new check, a warning until measured on more trees).
CORPUS_WARNINGS = {
    ("ED240", BOX_AUTH, 156),
    ("ED240", HUBSPOT_AUTH, 173),
    *{("ED240", BOX_AUTH, line) for line in (228, 232, 239, 241)},
    # the front-matter template's labels left in place: "Key Name", "Secret Name",
    # "Callback URL Name" would be published as Infusionsoft's own names
    ("ED500", "docs/elements/infusionsoft-crm/authenticate.md", 10),
    ("ED500", "docs/elements/infusionsoft-crm/authenticate.md", 11),
    ("ED500", "docs/elements/infusionsoft-crm/authenticate.md", 12),
}


@pytest.fixture(scope="module")
def corpus() -> Path:
    return require_shared(CORPUS)


@pytest.fixture(scope="module")
def corpus_check(corpus: Path) -> dict:
    result = run_cli("check", "--format", "json", "--jekyll", str(corpus), cwd=corpus.parent)
    assert result.returncode == 1
    assert "_archive/ (folders starting with '_'): 9 pages" in result.stderr
    return json.loads(result.stdout)


def test_corpus_check_reports_exactly_the_verified_defects(corpus_check):
    found = corpus_check["diagnostics"]
    errors = [d for d in found if d["severity"] == "error"]
    warnings = [d for d in found if d["severity"] == "warning"]
    assert triples(errors) == CORPUS_ERRORS
    assert len(errors) == len(CORPUS_ERRORS)
    assert triples(warnings) == CORPUS_WARNINGS
    assert corpus_check["summary"]["pages"] == 38


def test_every_corpus_page_renders(corpus):
    project = Project(jekyll_settings(corpus), use_cache=False)
    project.load_all()
    names = {p.relative_to(corpus).as_posix() for p in project.documents}
    for kind in (
        "index",
        "authenticate",
        "events",
        "setup",
        "bulk",
        "ceql",
        "api-documentation",
        "ko/api-documentation",
    ):
        assert f"docs/elements/autotask-crm/{kind}.md" in names
    for path in project.documents:
        result = project.check_page(path)
        assert result.rendered is not None and not result.rendered.failed, path
        assert "{{" not in result.rendered.text and "{%" not in result.rendered.text, path


@pytest.fixture(scope="module")
def imported_corpus(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("corpus") / "imported"
    result = run_cli("import-jekyll", str(corpus), str(dest), cwd=dest.parent)
    assert result.returncode == 0, result.stderr
    assert "pages:        38 (docs/ -> content/)" in result.stdout
    assert "partials:     20 (_includes/ -> includes/)" in result.stdout
    return dest


def _to_dest(path: str) -> str:
    if path.startswith("_includes/"):
        return "includes/" + path.removeprefix("_includes/")
    return "content/" + path.removeprefix("docs/")


def test_imported_corpus_renders_the_same_pages_and_findings(corpus, imported_corpus):
    before = Project(jekyll_settings(corpus), use_cache=False)
    after = Project(load_settings(imported_corpus), use_cache=False)
    before.load_all()
    after.load_all()
    assert len(after.documents) == 38
    for path in before.documents:
        rel = path.relative_to(corpus).as_posix()
        a, b = before.check_page(path), after.check_page(imported_corpus / _to_dest(rel))
        assert a.rendered.text == b.rendered.text, rel
        # the same findings, but for the hub: a Jekyll tree's navigation does not use it
        assert [(d.code, d.location.line) for d in a.diagnostics] == [
            (d.code, d.location.line) for d in b.diagnostics if d.code != "ED108"
        ], rel
    autotask = after.check_page(
        imported_corpus / "content/elements/autotask-crm/authenticate.md"
    ).rendered.text
    for fact in (
        '"key": "autotaskcrm"',
        '"id": 50',
        '"crm.autotask.username"',
        '"crm.autotask.password"',
        '"crm.autotask.server.url"',
        '"hub": "crm"',
    ):
        assert fact in autotask
    helpdesk = after.check_page(
        imported_corpus / "content/elements/autotask-helpdesk/events.md"
    ).rendered.text
    for fact in ('"key":"autotaskhelpdesk"', '"helpdesk.autotask.username"', '"incidents"'):
        assert fact in helpdesk


def test_mkdocs_builds_the_imported_corpus_and_reports_exactly_the_verified_defects(
    imported_corpus,
):
    # The sample keeps its real defects: the imported mkdocs.yml says so and builds anyway
    # (fail_on_errors: false), reporting exactly those defects at the same lines.
    config = (imported_corpus / "mkdocs.yml").read_text()
    assert "fail_on_errors: false" in config and "20 error(s)" in config
    build = _mkdocs_build(imported_corpus)
    reported = set()
    for line in build.stderr.splitlines():
        match = re.match(r"ERROR\s+-\s+(\S+?):(\d+):\d+: error (ED\d+)", line)
        if match:
            reported.add((match.group(3), match.group(1), int(match.group(2))))
    assert reported == {(code, _to_dest(path), line) for code, path, line in CORPUS_ERRORS}
    assert build.returncode == 0 and "20 error(s)" in build.stderr
    site = imported_corpus / "site/elements"
    assert len(list(site.rglob("*.html"))) == 38
    page = (site / "autotask-crm/authenticate.html").read_text()
    assert "autotaskcrm" in page and "crm.autotask.server.url" in page
    (imported_corpus / "mkdocs.yml").write_text(
        config.replace("fail_on_errors: false", "fail_on_errors: true")
    )
    try:
        strict = _mkdocs_build(imported_corpus)
    finally:
        (imported_corpus / "mkdocs.yml").write_text(config)
    assert strict.returncode == 1, "with the switch on, the defects stop the build"
    assert not list(site.rglob("*.html")), "a failed build writes no page"


# --- imports that build ---------------------------------------------------------------------


def test_an_import_keeps_jekyll_urls_search_exclusion_and_warns_of_dead_links(tmp_path):
    src = write_tree(
        tmp_path / "site",
        {
            "_config.yml": "title: Urls\ncollections:\n  guides:\n    output: true\n"
            "    permalink: /:collection/:path/\n",
            "_includes/x.md": "",
            "index.md": "---\ntitle: Home\n---\nSee [about](/about-us/), [old](/old-about/), "
            "[soup]({% link _guides/soup.md %}), [plain](/plain.html), "
            "[gone](/nowhere/) and `[code](/in-code/)`.\n",
            "about.md": "---\ntitle: About\npermalink: /about-us/\nredirect_from: /old-about/\n"
            "search: exclude\n---\nAbout us.\n",
            "plain.md": "---\ntitle: Plain\n---\nAt MkDocs' own URL, the same as Jekyll's.\n",
            "_guides/soup.md": "---\ntitle: Soup\n---\nSoup.\n",
        },
    )
    dest = tmp_path / "imported"
    result = run_cli("import-jekyll", str(src), str(dest), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    about = (dest / "content/about.md").read_text()
    assert "search: {exclude: true}\n" in about and about.count("\n") == 7  # lines kept
    home = (dest / "content/index.md").read_text()
    assert "[soup](/guides/soup/)" in home  # {% link %} became the URL Jekyll gave
    build = _mkdocs_build(dest)
    assert build.returncode == 0 and "Traceback" not in build.stderr, build.stderr
    site = dest / "site"
    assert "About us." in (site / "about-us/index.html").read_text()  # Jekyll's URL
    assert "Soup." in (site / "guides/soup/index.html").read_text()
    assert (site / "plain.html").is_file()
    redirect = (site / "old-about/index.html").read_text()
    assert 'http-equiv="refresh" content="0; url=../about-us/index.html"' in redirect
    index = json.loads((site / "search/search_index.json").read_text())
    locations = {doc["location"].split("#")[0] for doc in index["docs"]}
    assert "about-us/index.html" not in locations and "plain.html" in locations
    dead = re.findall(r"warning ED322 link to (\S+):", build.stderr)
    assert dead == ["/nowhere/"]  # the others resolve; links in code are not links
    assert re.search(r"content/index\.md:4: warning ED322", build.stderr)


def test_raw_html_without_an_id_value_does_not_crash_the_build(make_project):
    # `/<Base 64 Element ID>` is read by MkDocs as a tag whose "id" attribute has no value:
    # an anchor id of None, which the site cache once tried to sort
    root = make_project(
        {
            "content/index.md": "---\ntitle: A\n---\n# A\n\n"
            "GET /<Base 64 Element ID> and "
            "`/<Base 64 Element ID>`\n"
        }
    )
    for _ in range(2):  # built, then built again from what the site cache kept
        build = _mkdocs_build(root)
        assert build.returncode == 0 and "Traceback" not in build.stderr, build.stderr
    assert "Base 64" in (root / "site/index.html").read_text()


@pytest.fixture(scope="module")
def imported_jekyll_docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = require_shared(SHARED / "corpus" / "jekyll-docs")
    dest = tmp_path_factory.mktemp("jekyll-docs") / "imported"
    result = run_cli("import-jekyll", str(src), str(dest), cwd=dest.parent, timeout=300)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "pages:        206 (-> content/)" in result.stdout
    return dest


def test_jekyll_docs_import_builds_with_its_urls_and_only_true_dead_links(imported_jekyll_docs):
    build = _mkdocs_build(imported_jekyll_docs)
    assert build.returncode == 0 and "Traceback" not in build.stderr, build.stderr[-3000:]
    site = imported_jekyll_docs / "site"
    assert "Liquid" in (site / "docs/liquid/index.html").read_text()  # collection permalink
    assert (site / "news/2013/05/05/jekyll-1-0-0-released/index.html").is_file()  # a post
    assert "../liquid/index.html" in (site / "docs/templates/index.html").read_text()
    # The links left pointing nowhere, each checked: /showcase/ and / are HTML pages
    # (copied as they are, not rendered), the image was left out of the corpus.
    dead = sorted(set(re.findall(r"warning ED322 link to (\S+):", build.stderr)))
    assert dead == ["/", "/img/jekyll-sticker.png", "/showcase/"]


# --- generator render -----------------------------------------------------------------------


def test_render_writes_every_page_after_templates_even_with_errors(make_project, tmp_path):
    root = make_project(
        {
            "includes/step.md": "Step for {{ page.title }}.\n",
            "content/good.md": "---\ntitle: Good\n---\n{% include step.md %}\nDone.\n",
            "content/sub/bad.md": "---\ntitle: Bad\n---\nBefore {{ page.missing }} after.\n",
            "content/broken.md": "---\ntitle: [unclosed\n---\nnever rendered\n",
        }
    )
    out = tmp_path / "rendered"
    result = run_cli("render", "--out", str(out), cwd=root)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert (out / "good.md").read_text() == "Step for Good.\n\nDone.\n"
    assert (out / "sub/bad.md").read_text() == "Before  after.\n"  # as far as it rendered
    assert "content/sub/bad.md:4:" in result.stderr and "ED302" in result.stderr
    assert "not rendered: content/broken.md" in result.stderr
    assert not (out / "broken.md").exists()
    one = run_cli("render", "--out", str(tmp_path / "one"), "content/good.md", cwd=root)
    assert one.returncode == 0 and sorted(p.name for p in (tmp_path / "one").iterdir()) == [
        "good.md"
    ]


def test_render_of_a_jekyll_tree_writes_at_the_pages_own_paths(tmp_path):
    src = widget_tree(tmp_path / "site", defects=False)
    out = tmp_path / "rendered"
    result = run_cli("render", "--jekyll", str(src), "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.md")) == [
        "docs/elements/widget-crm/authenticate.md",
        "docs/elements/widget-crm/setup.md",
        "docs/index.md",
    ]
    assert "Shared steps for Widget CRM." in (out / "docs/elements/widget-crm/setup.md").read_text()
    inside = run_cli("render", "--jekyll", str(src), "--out", str(src), cwd=tmp_path)
    assert inside.returncode == 2 and "would write over" in inside.stderr


def test_hints_in_a_jekyll_tree_name_its_own_files_not_mkdocs_ones(tmp_path):
    """A Jekyll tree has _config.yml, _includes/ and _data/: the fixes say so (not
    mkdocs.yml extra: and includes/, which a Jekyll user does not have)."""
    root = write_tree(
        tmp_path / "site",
        {
            "_config.yml": "title: T\n",
            "index.md": "---\ntitle: Home\n---\n{{ page.nope }} {% include missing.html %}\n",
        },
    )
    result = run_cli("check", "--jekyll", str(root), cwd=tmp_path)
    assert "Traceback" not in result.stderr and result.returncode == 1
    assert "no such file in _includes/" in result.stdout
    assert "hint: create _includes/ and the partial in it" in result.stdout
    assert "hint: Define the key (front matter, _config.yml, _data/)" in result.stdout
    assert "mkdocs.yml" not in result.stdout
    assert not re.search(r"(?<![_\w])includes/", result.stdout), result.stdout


def test_a_folder_that_is_a_link_is_named_not_entered(tmp_path):
    """Jekyll follows a link to a folder; the check does not (it could lead out of the
    tree), and says so instead of leaving its pages out without a word."""
    root = write_tree(
        tmp_path / "site",
        {
            "_config.yml": "title: T\n",
            "index.md": "---\ntitle: Home\n---\nHome.\n",
            "sub/target.md": "---\ntitle: Target\n---\n{{ page.nope }}\n",
        },
    )
    (root / "linkdir").symlink_to(root / "sub", target_is_directory=True)
    (root / "_hidden").symlink_to(root / "sub", target_is_directory=True)  # Jekyll skips it
    result = run_cli("check", "--jekyll", str(root), cwd=tmp_path)
    assert "Traceback" not in result.stderr
    assert "checked 2 pages" in result.stdout  # sub/target.md once, not through the link
    note = next(
        line for line in result.stderr.splitlines() if line.startswith("note: not checked:")
    )
    assert "what lies in linkdir/: it is a link to a folder" in note
    assert "_hidden" not in note
