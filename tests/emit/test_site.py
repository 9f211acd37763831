"""The site as readers get it: a real ``mkdocs build --strict`` of this repository's project."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import REPO, copy_repo_project

ELEMENTS = {
    "autotask-helpdesk": ("Autotask Help Desk", "autotaskhelpdesk", 123, "helpdesk"),
    "autotask-crm": ("Autotask CRM", "autotaskcrm", 50, "crm"),
    "autotask-finance": ("Autotask Finance", "autotaskfinance", 8152, "finance"),
    "infusionsoft-crm": ("Infusionsoft CRM", "infusionsoftcrm", 191, "crm"),
}


def mkdocs_build(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", *extra],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_repo_project(tmp_path_factory.mktemp("site-project"))
    result = mkdocs_build(root)
    assert result.returncode == 0, result.stderr
    assert not re.search(r"^(WARNING|ERROR)\b", result.stderr, re.M), result.stderr
    return root / "site"


class Blocks(HTMLParser):
    """Collects <pre> blocks, noting whether each sits inside a list item, and headings."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.pre: list[tuple[bool, str]] = []
        self.headings: list[tuple[str, str]] = []
        self._text: list[str] | None = None
        self._heading: str | None = None
        self._htext: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)
        if tag == "pre":
            self._text = []
        if re.fullmatch(r"h[1-4]", tag):
            self._heading, self._htext = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre" and self._text is not None:
            self.pre.append(("li" in self.stack, "".join(self._text)))
            self._text = None
        if tag == self._heading:
            self.headings.append((tag, "".join(self._htext).replace("¶", "").strip()))
            self._heading = None
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)
        if self._heading:
            self._htext.append(data)


def page_html(site: Path, slug: str) -> str:
    return (site / "elements" / slug / "authenticate" / "index.html").read_text()


def parsed(site: Path, slug: str) -> Blocks:
    blocks = Blocks()
    blocks.feed(page_html(site, slug))
    return blocks


def test_every_element_has_an_authenticate_page(built_site):
    for slug, (name, *_rest) in ELEMENTS.items():
        headings = parsed(built_site, slug).headings
        assert ("h1", f"Authenticate with {name}") in headings or headings[0][1].startswith(
            "Authenticate with"
        )


def test_each_page_carries_its_own_hub_configuration_keys(built_site):
    crm = page_html(built_site, "autotask-crm")
    helpdesk = page_html(built_site, "autotask-helpdesk")
    finance = page_html(built_site, "autotask-finance")
    assert "crm.autotask.username" in crm and "helpdesk.autotask" not in crm
    assert "helpdesk.autotask.username" in helpdesk and "crm.autotask" not in helpdesk
    assert "finance.autotask.server.url" in finance
    assert "oauth.api.key" in page_html(built_site, "infusionsoft-crm")


def test_code_blocks_inside_list_items_render_as_code(built_site):
    blocks = parsed(built_site, "autotask-crm").pre
    in_lists = [text for inside, text in blocks if inside]
    assert any('"crm.autotask.username"' in text for text in in_lists)
    assert any(text.strip() == "POST /instances" for text in in_lists)
    html = page_html(built_site, "autotask-crm")
    assert "```json" not in html and "```" not in html


def test_home_page_lists_every_element_from_front_matter(built_site):
    html = (built_site / "index.html").read_text()
    for name, key, element_id, hub in ELEMENTS.values():
        row = re.search(
            rf"<tr>\s*<td[^>]*><a [^>]*>{re.escape(name)}</a></td>(.*?)</tr>", html, re.S
        )
        assert row, name
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
        assert [re.sub(r"<[^>]+>", "", c).strip() for c in cells] == [
            key,
            str(element_id),
            hub,
            "OAuth 2" if key == "infusionsoftcrm" else "Basic",
        ]


def test_navigation_groups_elements_by_hub(built_site):
    html = (built_site / "index.html").read_text()
    nav = html[html.index('class="md-nav md-nav--primary"') :]
    positions = {
        label: nav.find(label)
        for label in (
            "CRM",
            "Help Desk",
            "Finance",
            "Autotask CRM",
            "Infusionsoft CRM",
            "Autotask Help Desk",
            "Autotask Finance",
        )
    }
    assert all(p >= 0 for p in positions.values()), positions
    assert positions["CRM"] < positions["Autotask CRM"] < positions["Infusionsoft CRM"]
    assert positions["Finance"] < positions["Autotask Finance"]
    assert positions["Help Desk"] < positions["Autotask Help Desk"]


def test_material_theme_with_copy_buttons_and_search(built_site):
    html = page_html(built_site, "autotask-crm")
    config = json.loads(
        re.search(
            r'<script id="__config" type="application/json">(.*?)'
            r"</script>",
            html,
            re.S,
        ).group(1)
    )
    assert "content.code.copy" in config["features"]
    index = json.loads((built_site / "search" / "search_index.json").read_text())
    assert any("autotaskcrm" in doc["text"] for doc in index["docs"])


def test_diagnostic_codes_reference_page_lists_every_code(built_site):
    from generator import CODES

    html = (built_site / "reference" / "diagnostic-codes" / "index.html").read_text()
    # what a reader sees in each row: the cells' text, tags removed, entities decoded
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.DOTALL):
        cells = [
            unescape(re.sub(r"<[^>]+>", "", c))
            for c in re.findall(r"<td>(.*?)</td>", row, re.DOTALL)
        ]
        if cells:
            rows[cells[0]] = cells
    for code, info in CODES.items():
        assert f"<code>{code}</code>" in html
        assert rows[code][2:] == [info.title, info.fix], code
    # placeholders such as <USER_SECRET> are text, not swallowed as HTML tags
    assert "User <USER_SECRET>, Organization <ORGANIZATION_SECRET>" in rows["ED222"][3]


def test_front_matter_schema_is_published_for_editors(built_site):
    """The built site serves the schema at a stable address, as `generator schema` prints it,
    and it accepts the front matter of the site's own element pages."""
    import jsonschema
    import yaml

    published = json.loads((built_site / "schemas" / "front-matter.schema.json").read_text())
    printed = subprocess.run(
        [sys.executable, "-m", "generator", "schema", "front-matter"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert published == json.loads(printed)
    jsonschema.Draft202012Validator.check_schema(published)
    for page in (REPO / "content" / "elements").glob("*/authenticate.md"):
        front = yaml.safe_load(page.read_text(encoding="utf-8").split("---\n")[1])
        jsonschema.validate(front, published)


def test_changing_element_key_changes_body_curl_and_table(tmp_path):
    root = copy_repo_project(tmp_path)
    page = root / "content/elements/autotask-crm/authenticate.md"
    page.write_text(page.read_text().replace("elementKey: autotaskcrm", "elementKey: renamedcrm"))
    result = mkdocs_build(root)
    # the example response still says autotaskcrm: the checker must catch that
    assert result.returncode != 0
    assert "ED202" in result.stderr
    assert "content/elements/autotask-crm/authenticate.md" in result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--out", "out"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    response = root / "content/elements/autotask-crm/authenticate.md"
    response.write_text(response.read_text().replace('"key": "autotaskcrm"', '"key": "renamedcrm"'))
    result = mkdocs_build(root)
    assert result.returncode == 0, result.stderr
    blocks = parsed(root / "site", "autotask-crm")
    request = next(t for inside, t in blocks.pre if inside and '"element"' in t)
    curl = next(t for _, t in blocks.pre if t.lstrip().startswith("curl"))
    assert json.loads(request)["element"]["key"] == "renamedcrm"
    assert '"key": "renamedcrm"' in curl
    html = page_html(root / "site", "autotask-crm")
    table = html[html.index('id="parameters"') :]
    assert "renamedcrm" in table[: table.index("</table>")]


def _pages(site: Path) -> dict[str, str]:
    return {
        p.relative_to(site).as_posix(): p.read_text(encoding="utf-8")
        for p in site.rglob("index.html")
    }


def test_pages_read_well(built_site):
    """What issue 17 found wrong on the built site, page by page."""
    pages = _pages(built_site)
    autotask = pages["elements/autotask-crm/authenticate/index.html"]
    infusionsoft = pages["elements/infusionsoft-crm/authenticate/index.html"]
    for name, html in pages.items():
        # a note in a list item is a block, not a paragraph's content (invalid HTML)
        assert "<p><div" not in html, name
        # the theme's table of contents is the only "On this page"
        assert "<strong>On this page</strong>" not in html, name
    # dotted parameter names may wrap after a dot, never mid-word
    assert "<code>crm.<wbr>autotask.<wbr>username</code>" in autotask
    css = (built_site / "stylesheets" / "element-docs.css").read_text()
    assert re.search(r"td code \{[^}]*word-break: normal", css)
    # the template's placeholder labels are not published as Infusionsoft's names
    for placeholder in ("Key Name", "Secret Name", "Callback URL Name"):
        assert placeholder not in infusionsoft
    # tags is an array
    assert re.search(
        r"<code>tags</code></td>\s*<td[^>]*>.*?</td>\s*<td[^>]*>array of strings",
        autotask,
        re.DOTALL,
    )
    # the events guide is a link that leads to a page of the site
    link = re.search(r'<a href="([^"]+)">events guide</a>', autotask)
    assert link, "the events guide is linked"
    target = (built_site / "elements/autotask-crm/authenticate" / link.group(1)).resolve()
    assert (target / "index.html").is_file() if target.suffix != ".html" else target.is_file()
    # the examples-checked note, and a light/dark toggle
    assert "Examples checked" in autotask
    assert 'data-md-color-scheme="slate"' in autotask or "__palette" in autotask


def test_json_examples_are_evenly_indented(built_site):
    """Seed 001's response is ragged in its source; readers get it laid out evenly."""
    autotask = (built_site / "elements/autotask-crm/authenticate/index.html").read_text()
    blocks = Blocks()
    blocks.feed(autotask)
    responses = [text for _, text in blocks.pre if '"token"' in text and '"createdDate"' in text]
    assert responses
    for text in responses:
        value = json.loads(text)
        assert text.strip() == json.dumps(value, indent=2, ensure_ascii=False)


def test_sitemap_lists_every_page(built_site):
    import yaml

    config = yaml.safe_load((REPO / "mkdocs.yml").read_text())
    sitemap = (built_site / "sitemap.xml").read_text()
    locations = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    pages = [p for p in _pages(built_site) if p != "404.html"]
    assert len(locations) == len(pages) >= 6
    assert all(loc.startswith(config["site_url"]) for loc in locations)
