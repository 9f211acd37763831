"""A repeated check of a Jekyll tree takes what it knows of unchanged files from the file
memo (generator/load/filememo.py) instead of reading them: every change to a file must still be
seen, including one that keeps the file's size and modification time."""

from __future__ import annotations

import datetime as dt
import json
import marshal
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import run_cli, write_tree
from test_jekyll import WIDGET_DEFECTS, triples, widget_tree

from generator.load.filememo import RACY_SECONDS, Unencodable, decode, encode
from generator.load.jekyll_tree import jekyll_settings
from generator.render.codecache import user_secret


def edit_keeping_size_and_time(path: Path, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` (as long) and put the modification time back: only the
    change time (which no program can set) tells the file changed."""
    assert len(old) == len(new)
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_a_repeated_check_sees_every_edit_even_one_that_keeps_size_and_time(tmp_path, monkeypatch):
    cache_home = tmp_path / "cache-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    root = widget_tree(tmp_path / "site")
    time.sleep(RACY_SECONDS + 0.2)  # files changed just before a run are not remembered

    def check() -> set[tuple[str, str, int]]:
        result = run_cli("check", "--format", "json", "--jekyll", str(root), cwd=tmp_path)
        assert "Traceback" not in result.stderr, result.stderr
        return triples(json.loads(result.stdout)["diagnostics"])

    assert check() == WIDGET_DEFECTS
    [folder] = (cache_home / "element-docs").iterdir()
    memo = folder / "files.sqlite3"
    assert memo.is_file()
    assert check() == WIDGET_DEFECTS  # from what the first run learnt

    # a page's front matter: the response's element id (13) is now the page's own
    page = root / "docs/elements/widget-crm/authenticate.md"
    edit_keeping_size_and_time(page, "elementId: 31", "elementId: 13")
    fixed = WIDGET_DEFECTS - {("ED201", "docs/elements/widget-crm/authenticate.md", 18)}
    assert check() == fixed

    # a file that gains front matter becomes a page Jekyll renders, and is checked
    readme = root / "docs/README.md"
    edit_keeping_size_and_time(readme, "No front", "---\n---\n")
    assert {path for _, path, _ in check()} == {path for _, path, _ in fixed} | {"docs/README.md"}

    # what the site model holds of a page (site.pages) follows its front matter
    setup = root / "docs/elements/widget-crm/setup.md"
    edit_keeping_size_and_time(setup, "title: Setup", "title: Steps")
    titles = {p.get("title") for p in jekyll_settings(root).site["pages"]}
    assert "Steps" in titles and "Setup" not in titles

    # a damaged memo costs the time to read the files again, nothing else
    memo.write_bytes(b"not a database" * 100)
    result = run_cli("check", "--format", "json", "--jekyll", str(root), cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    assert triples(json.loads(result.stdout)["diagnostics"]) == triples(
        json.loads(
            run_cli(
                "check", "--format", "json", "--no-cache", "--jekyll", str(root), cwd=tmp_path
            ).stdout
        )["diagnostics"]
    )


@pytest.mark.parametrize(
    "value",
    [
        {"title": "A", "n": 3, "x": 1.5, "ok": True, "none": None, "list": [1, "two", [3]]},
        {
            "date": dt.date(2024, 2, 29),
            "when": dt.datetime(2024, 2, 29, 12, 30, 5),
            "zoned": dt.datetime(2024, 2, 29, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        },
        {1: "one", False: "no", None: "nothing", dt.date(2020, 1, 1): "day"},
        {"\x00": "a key the memo uses as its tag", "raw": b"\x00\xff bytes"},
        {"nested": {2: {"deeper": [{"k": dt.date(1999, 12, 31)}]}}},
    ],
)
def test_front_matter_values_come_back_from_the_memo_as_they_were(value):
    back = decode(json.dumps(encode(value)))
    assert back == value
    assert [type(k) for k in back] == [type(k) for k in value]


@pytest.mark.parametrize("value", [{"a": {1, 2}}, {"pairs": [("a", 1)]}, {(1, 2): "tuple"}])
def test_values_the_memo_cannot_write_are_refused_not_mangled(value):
    with pytest.raises(Unencodable):
        encode(value)


# --- compiled templates kept between runs (generator/render/codecache.py) ------------------------


def test_compiled_templates_come_back_only_as_they_were_made_and_signed(tmp_path, monkeypatch):
    """A check renders again from compiled templates it kept (same diagnostics, same
    lines); code in the store that was damaged, or put there by anyone without the user's
    secret, is never run: the template is compiled again."""
    cache_home = tmp_path / "cache-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    root = widget_tree(tmp_path / "site")

    def check() -> tuple[int, list[dict]]:
        result = run_cli("check", "--format", "json", "--jekyll", str(root), cwd=tmp_path)
        assert "Traceback" not in result.stderr, result.stderr
        return result.returncode, json.loads(result.stdout)["diagnostics"]

    first = check()
    assert first[0] == 1 and triples(first[1]) == WIDGET_DEFECTS
    [folder] = (cache_home / "element-docs").iterdir()
    store = folder / "code.sqlite3"
    with sqlite3.connect(store) as db:
        kept = db.execute("SELECT count(*) FROM code").fetchone()[0]
    assert kept > 0

    def render_again() -> tuple[int, list[dict]]:
        for page_cache in folder.glob("pages.sqlite3*"):
            page_cache.unlink()  # every page is rendered again, its templates from the store
        return check()

    assert render_again() == first

    # code put in the store without the user's secret: a template that would end the run
    forged = marshal.dumps(compile("raise SystemExit(7)", "forged", "exec"))
    with sqlite3.connect(store) as db:
        db.execute("UPDATE code SET code = ?", (forged,))
    assert render_again() == first

    # damaged entries and a damaged file
    with sqlite3.connect(store) as db:
        db.execute("UPDATE code SET code = ?, mac = 'x'", (b"\x00" * 40,))
    assert render_again() == first
    for part in folder.glob("code.sqlite3*"):
        part.unlink()
    store.write_bytes(b"not a database" * 100)
    assert render_again() == first


def test_a_secret_others_can_read_is_no_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert user_secret() is not None
    (tmp_path / "element-docs-code-key").chmod(0o644)
    assert user_secret() is None


# --- a page's front matter and the pages that read site.pages ---------------------------


def test_an_edit_of_front_matter_renders_again_only_the_pages_that_read_the_site_model(
    tmp_path, monkeypatch
):
    cache_home = tmp_path / "cache-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    root = widget_tree(tmp_path / "site")
    lists = {  # each reports an undefined key while a page is titled Setup
        "docs/list.md": "{% for p in site.pages %}{% if p.title == 'Setup' %}"
        "{{ page.missing_in_list }}{% endif %}{% endfor %}",
        "docs/whole.md": "{% assign all = site %}{% for p in all.pages %}"
        "{% if p.title == 'Setup' %}{{ page.missing_in_whole }}{% endif %}"
        "{% endfor %}",
    }
    for name, body in lists.items():
        (root / name).write_text(f"---\ntitle: {name}\n---\n{body}\n", encoding="utf-8")

    def check() -> set[tuple[str, str, int]]:
        result = run_cli("check", "--format", "json", "--jekyll", str(root), cwd=tmp_path)
        assert "Traceback" not in result.stderr, result.stderr
        return triples(json.loads(result.stdout)["diagnostics"])

    reading = {("ED302", "docs/list.md", 4), ("ED302", "docs/whole.md", 4)}
    assert check() == WIDGET_DEFECTS | reading
    [folder] = (cache_home / "element-docs").iterdir()

    def entries() -> dict[str, tuple[str, str]]:
        with sqlite3.connect(folder / "pages.sqlite3") as db:
            return {
                rel: (fingerprint, entry)
                for rel, fingerprint, entry in db.execute(
                    "SELECT rel, fingerprint, entry FROM pages"
                )
            }

    before = entries()
    setup = root / "docs/elements/widget-crm/setup.md"
    setup.write_text(setup.read_text().replace("title: Setup", "title: Steps"))
    assert check() == WIDGET_DEFECTS  # the pages that list site.pages saw the edit
    after = entries()
    # the page that does not read site.pages was not rendered again: its entry is as it was
    assert after["docs/index.md"] == before["docs/index.md"]
    assert after["docs/list.md"] != before["docs/list.md"]


def test_a_check_that_finds_every_page_in_its_cache_neither_renders_nor_validates(
    tmp_path, monkeypatch
):
    """A repeated check reports what the first run found without importing Jinja,
    jsonschema or markdown-it (about 0.2 s of a run's start, most of a small tree's
    repeated check); an edited page brings them back, and its new problems with them."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))
    root = widget_tree(tmp_path / "site")
    time.sleep(RACY_SECONDS + 0.2)  # files changed just before a run are not remembered
    probe = (
        "import json, sys\n"
        "from generator.cli.main import main\n"
        "code = main(sys.argv[1:])\n"
        "heavy = [m for m in ('jinja2', 'jsonschema', 'markdown_it') if m in sys.modules]\n"
        "sys.stderr.write('imported: ' + json.dumps(heavy) + '\\n')\n"
        "sys.exit(code)\n"
    )

    def check() -> tuple[set[tuple[str, str, int]], list[str]]:
        result = subprocess.run(
            [sys.executable, "-c", probe, "check", "--format", "json", "--jekyll", str(root)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert "Traceback" not in result.stderr, result.stderr
        imported = json.loads(result.stderr.rsplit("imported: ", 1)[1])
        return triples(json.loads(result.stdout)["diagnostics"]), imported

    assert check() == (WIDGET_DEFECTS, ["jinja2", "jsonschema", "markdown_it"])
    assert check() == (WIDGET_DEFECTS, [])
    page = root / "docs/elements/widget-crm/authenticate.md"
    edit_keeping_size_and_time(page, "elementId: 31", "elementId: 13")
    fixed = WIDGET_DEFECTS - {("ED201", "docs/elements/widget-crm/authenticate.md", 18)}
    assert check() == (fixed, ["jinja2", "jsonschema", "markdown_it"])


def test_a_clean_check_reads_each_front_matter_once_in_one_process_or_two(tmp_path, monkeypatch):
    """The site model (site.pages) and the pages share one read of each page's front
    matter, and making those reads in forked workers changes nothing: the same site
    model, the same pages, the same report. Pages that do not load (not text, broken
    YAML) are in site.pages as Jekyll has them, or left out as before."""
    import generator.load.documents as documents
    import generator.load.jekyll_site as jekyll_site
    import generator.load.jekyll_tree as jekyll_tree
    from generator.pipeline.project import Project

    root = widget_tree(tmp_path / "site")
    write_tree(
        root,
        {
            "docs/list.md": "---\ntitle: List\n---\n\n{% for p in site.pages %}"
            "{{ p.path }}={{ p.title }};{% endfor %}\n",
            "docs/broken.md": "---\ntitle: [Broken\n---\n\nText.\n",
            "docs/feed.html": "---\ntitle: Feed\n---\n<p>{{ site.title }}</p>\n",
            "docs/more.md": "---\ntitle: More\nlayout: page\n---\n\nMore text.\n",
        },
    )
    (root / "docs/latin1.md").write_bytes(b"---\ntitle: Caf\xe9\n---\n\nText.\n")
    parsed: Counter[str] = Counter()
    real = documents.parse_document

    def counted(text, path, *args, **kwargs):
        parsed[path.name] += 1
        return real(text, path, *args, **kwargs)

    monkeypatch.setattr(documents, "parse_document", counted)
    monkeypatch.setattr(jekyll_site, "parse_document", counted)
    one = Project(jekyll_settings(root, cache=False, jobs=1), use_cache=False)
    one.load_all(jobs=1)
    assert parsed and set(parsed.values()) == {1}, parsed  # loaded: each read once
    assert "feed.html" in parsed and "latin1.md" not in parsed  # not text: never parsed

    forked = []
    real_map = jekyll_tree.forked_map
    monkeypatch.setattr(jekyll_tree, "ENTRY_CHUNK", 1)
    monkeypatch.setattr(jekyll_tree, "forked_map", lambda *a: forked.append(1) or real_map(*a))
    two = Project(jekyll_settings(root, cache=False, jobs=2), use_cache=False)
    assert forked == [1]
    assert two.settings.site["pages"] == one.settings.site["pages"]
    titles = {p["path"]: p.get("title") for p in one.settings.site["pages"]}
    assert titles["docs/more.md"] == "More" and titles["docs/feed.html"] == "Feed"
    assert "docs/broken.md" in titles and "docs/latin1.md" not in titles
    alone, together = one.check(jobs=1), two.check(jobs=2)
    assert together.pages == alone.pages and together.diagnostics == alone.diagnostics
    assert {d.code for d in alone.diagnostics} >= {"ED101", "ED201"}
