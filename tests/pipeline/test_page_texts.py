"""The page cache keeps a page's rendered text apart from the rest of its entry: a check
reads only the diagnostics, a build reads the text too. Entries written by either command
serve the other, and a text that is missing, damaged or of another entry is never served:
the page is rendered again."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from conftest import run_cli

PAGES = {
    f"content/p{i}.md": f"# Page {i}\n\n{{% include note.md %}}\n\nWords of page {i}.\n"
    for i in range(4)
}
PAGES["includes/note.md"] = "A note shared by every page.\n"
PAGES["content/bad.md"] = (  # a warning: a build still writes the site
    "---\nheading: Acme CRM\ntitle: Bad\nelementId: 7\nelementKey: acmecrm\nhub: crm\n---\n"
    '\n```json\n{"element": {"key": "acmecrm"}}\n```\n'
)


def database(root: Path) -> Path:
    return root / ".element-docs-cache" / "pages.sqlite3"


def check(root: Path) -> list[dict]:
    result = run_cli("check", "--format", "json", cwd=root)
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout)["diagnostics"]


def build(root: Path) -> tuple[dict[str, str], str]:
    result = run_cli("build", "--out", "out", cwd=root)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    return {
        p.name: p.read_text(encoding="utf-8") for p in (root / "out").glob("*.md")
    }, result.stderr


def sql(root: Path, statement: str, *args: object) -> list[tuple]:
    with sqlite3.connect(database(root)) as db:
        rows = db.execute(statement, args).fetchall()
    db.close()
    return rows


def test_a_build_serves_texts_a_check_wrote(make_project) -> None:
    root = make_project(PAGES)
    found = check(root)
    assert [d["code"] for d in found] == ["ED212"]
    # the check stored every page's text: a build takes it from there, not from a render
    sql(root, "UPDATE texts SET text = ? WHERE rel = ?", "Text from the cache.\n", "content/p1.md")
    pages, _ = build(root)
    assert pages["p1.md"] == "Text from the cache.\n"
    assert "A note shared by every page." in pages["p0.md"]


def test_a_check_serves_entries_a_build_wrote_without_reading_texts(make_project) -> None:
    root = make_project(PAGES)
    clean, _ = build(root)
    expected = check(root)
    # a check reads no text: texts damaged or gone change nothing, and nothing is said
    sql(root, "UPDATE texts SET text = x'ff00' WHERE rel = ?", "content/p0.md")
    sql(root, "DELETE FROM texts WHERE rel = ?", "content/p2.md")
    result = run_cli("check", "--format", "json", cwd=root)
    assert json.loads(result.stdout)["diagnostics"] == expected
    assert "damaged" not in result.stderr, result.stderr
    # the entries the check read are the build's: a forged one shows through
    [(entry,)] = sql(root, "SELECT entry FROM pages WHERE rel = ?", "content/p3.md")
    data = json.loads(entry)
    data["diagnostics"] = [["ED212", "forged in the cache", ["content/p3.md", 1, 1], "", [], None]]
    sql(root, "UPDATE pages SET entry = ? WHERE rel = ?", json.dumps(data), "content/p3.md")
    assert "forged in the cache" in {d["message"] for d in check(root)}
    # a build does need the texts: the damaged one and the missing one are rendered again,
    # and the text of the changed entry (p3) is not served with it
    again, said = build(root)
    assert again == clean
    assert said.count("a damaged entry in the page cache") == 1, said


def test_older_stores_are_ignored(make_project) -> None:
    root = make_project(PAGES)
    expected = check(root)
    # an entry of the format before (its text inside it) is a miss: the page is checked
    [(entry,)] = sql(root, "SELECT entry FROM pages WHERE rel = ?", "content/bad.md")
    data = json.loads(entry)
    data["format"] = 2
    data["diagnostics"] = []
    data["rendered"]["text"] = "Old text.\n"
    sql(root, "UPDATE pages SET entry = ? WHERE rel = ?", json.dumps(data), "content/bad.md")
    assert check(root) == expected
    pages, _ = build(root)
    assert "Old text." not in pages["bad.md"]
