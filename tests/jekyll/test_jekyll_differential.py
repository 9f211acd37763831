"""Jekyll trees rendered by real Jekyll and by us, compared page by page.

Real Jekyll (Debian's 4.3, installed by `make jekyll`) builds each tree once per session
with the plugin tests/jekyll/jekyll_plugins/liquid_capture.rb, which writes every page's text after
Liquid and before Markdown; `generator render --jekyll` writes ours. A page is identical
when the two texts are equal with whitespace collapsed AND have the same lines where a line
break means something in Markdown (table rows, headings, fences). One thing is compared for
what it means rather than its letters: `{% highlight %}` is Rouge's HTML in Jekyll and a
fenced block with us (MkDocs highlights it later), so Jekyll's figure is read back as the
fence it stands for.

Each tree has a floor (identical pages) and the list of pages known to differ, each with
why and the diagnostic we print for it: a page may never differ silently.
"""

from __future__ import annotations

import datetime
import html
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from conftest import CORPUS, REPO, SHARED, require_shared, run_cli, write_tree

PLUGIN_DIR = REPO / "tests" / "jekyll" / "jekyll_plugins"
JEKYLL_DOCS = SHARED / "corpus" / "jekyll-docs"
PAGE_SUFFIXES = (".md", ".markdown", ".mkdown", ".mkdn", ".mkd")
#: the plugins Debian packages (jemoji is not among them); `make jekyll` installs them
PLUGINS = (
    "jekyll-avatar",
    "jekyll-feed",
    "jekyll-mentions",
    "jekyll-redirect-from",
    "jekyll-seo-tag",
    "jekyll-sitemap",
)
#: site.time pinned, so a page that reads it renders the same in both
PINNED_TIME = "2024-05-04 03:02:01 +0000"


@pytest.fixture(scope="session")
def jekyll() -> str:
    found = shutil.which("jekyll")
    if found:
        return found
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(
            "CI=true but Jekyll is not installed: 'make jekyll' installs it (as root, from Debian)"
        )
    pytest.skip(
        "needs Jekyll 4 on PATH: run 'make jekyll' as root (Debian's jekyll "
        "package and its plugins)"
    )


def run_jekyll(jekyll: str, src: Path, work: Path) -> Path:
    """Build ``src`` with real Jekyll into ``work``; the folder of captured pages."""
    capture = work / "jekyll"
    extra = work / "differential.yml"
    extra.write_text(
        f"plugins: [{', '.join(PLUGINS)}]\n"
        f"plugins_dir: {PLUGIN_DIR}\n"
        "disable_disk_cache: true\n"  # nothing written into the (read-only) source
        f"time: {PINNED_TIME}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "LIQUID_CAPTURE_DIR": str(capture), "JEKYLL_ENV": "development"}
    result = subprocess.run(
        [
            jekyll,
            "build",
            "--source",
            str(src),
            "--destination",
            str(work / "_site"),
            "--config",
            f"{src / '_config.yml'},{extra}",
            "--quiet",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert capture.is_dir(), "the capture plugin wrote nothing"
    return capture


def run_ours(src: Path, work: Path) -> tuple[Path, str]:
    out = work / "ours"
    epoch = int(datetime.datetime.fromisoformat(PINNED_TIME.replace(" +", "+")).timestamp())
    result = subprocess.run(  # run_cli, with site.time pinned as Jekyll's is
        [sys.executable, "-m", "generator", "render", "--jekyll", str(src), "--out", str(out)],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "SOURCE_DATE_EPOCH": str(epoch)},
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 1), result.stderr
    return out, result.stderr


# --- comparing ------------------------------------------------------------------------------

_FIGURE_RE = re.compile(
    r'<figure class="highlight"><pre><code class="language-([\w+#.-]+)" data-lang="[^"]*">'
    r"(.*?)</code></pre></figure>",
    re.DOTALL,
)
_STRUCTURAL = ("|", "#", "```", "~~~")


def _as_fence(match: re.Match[str]) -> str:
    code = html.unescape(re.sub(r"<[^>]+>", "", match.group(2)))
    return f"```{match.group(1)}\n{code.rstrip(chr(10))}\n```"


def _collapse(text: str) -> str:
    return " ".join(text.split())


def normalized(text: str) -> tuple[str, list[str]]:
    """(the text with whitespace collapsed, its structural lines each collapsed)."""
    text = _FIGURE_RE.sub(_as_fence, text)
    lines = [_collapse(line) for line in text.splitlines() if line.strip().startswith(_STRUCTURAL)]
    return _collapse(text), lines


@dataclass
class Comparison:
    total: int = 0
    identical: list[str] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # Jekyll rendered it, we did not
    extra: list[str] = field(default_factory=list)  # we rendered a page Jekyll did not

    def summary(self) -> str:
        return (
            f"{len(self.identical)}/{self.total} identical; differing "
            f"{self.differing}; missing {self.missing}; extra {self.extra}"
        )


def not_written(src: Path) -> tuple[str, ...]:
    """Folders of the collections Jekyll renders but does not write (output: false)."""
    config = yaml.safe_load((src / "_config.yml").read_text(encoding="utf-8")) or {}
    collections = config.get("collections") or {}
    return tuple(
        f"_{label}/"
        for label, options in collections.items()
        if label != "posts" and not (options or {}).get("output")
    )


def compare(theirs: Path, ours: Path, skip: tuple[str, ...] = ()) -> Comparison:
    result = Comparison()
    pages = sorted(
        p.relative_to(theirs).as_posix()
        for p in theirs.rglob("*")
        if p.is_file() and p.suffix in PAGE_SUFFIXES
    )
    pages = [page for page in pages if not page.startswith(skip)]
    result.total = len(pages)
    for rel in pages:
        mine = ours / rel
        if not mine.is_file():
            result.missing.append(rel)
        elif normalized((theirs / rel).read_text(encoding="utf-8")) == normalized(
            mine.read_text(encoding="utf-8")
        ):
            result.identical.append(rel)
        else:
            result.differing.append(rel)
    result.extra = sorted(
        p.relative_to(ours).as_posix()
        for p in ours.rglob("*")
        if p.is_file() and not (theirs / p.relative_to(ours)).exists()
    )
    return result


def test_the_comparison_sees_a_split_table_row_and_reads_highlight_back():
    assert normalized("a\n\n b") == normalized("a b")
    assert normalized("| a | b |\n| c |") != normalized("| a | b | | c |")
    assert normalized("## Title\nText") != normalized("## Title Text")
    figure = (
        '<figure class="highlight"><pre><code class="language-ruby" data-lang="ruby">'
        '<span class="n">x</span> <span class="o">&gt;</span> 1\n</code></pre></figure>'
    )
    assert normalized(figure) == normalized("```ruby\nx > 1\n```")
    assert normalized(figure) != normalized("```ruby\nx < 1\n```")


# --- the trees ------------------------------------------------------------------------------

# Every construct of issue 15, each as Jekyll renders it.
CONSTRUCTS = {
    "_config.yml": "title: Constructs\nbaseurl: ''\ntimezone: UTC\n"
    "collections:\n  recipes:\n    output: true\n"
    "    permalink: /:collection/:path/\n  notes:\n    output: false\n",
    "_data/sidebars/main.yml": "title: Main sidebar\nentries:\n  - title: One\n"
    "    url: /one/\n  - title: Two\n    url: /two/\n",
    "_data/people.yml": "- name: Ann\n  id: 7\n- name: Bob\n  id: 9\n",
    "_data/prices.json": '{\n\t"small": [1, 2],\n\t"large": 9\n}\n',
    "_data/tables/rows.csv": "name,size\nmug,3\nbowl,5\n",
    "_includes/row.md": "| {{ include.name }} | {{ include.id }} |\n",
    "_includes/heading.md": "## {{ include.title }}\n",
    "_includes/examples/body.json": '{"id": {{ include.id }}}\n',
    "_includes/button.html": '{% if {{include.url}} %}<a href="{{ include.url }}">go</a>'
    "{% else %}no link{% endif %}\n",
    "_recipes/soup.md": "---\ntitle: Soup\n---\nSoup at {{ page.url }}.\n",
    "_recipes/hot/chili.md": "---\ntitle: Chili\ntags: [hot]\n---\nChili.\n",
    "_notes/private.md": "---\ntitle: Private\n---\nNot written.\n",
    "_posts/2021-03-04-first-post.md": "---\ntitle: First\ntags: [news, intro]\n"
    "category: release\n---\nFirst {{ page.url }}\n",
    "_posts/2022-05-06-second-post.md": "---\ntitle: Second\ntags: [news]\n"
    "date: 2022-05-06 10:00:00 +0000\n---\nSecond.\n",
    "about.md": "---\ntitle: About\npermalink: /about-us/\n---\nThis is {{ page.url }}.\n",
    "contact.html": "---\ntitle: Contact\n---\n<p>Write to us.</p>\n",
    "_posts/2020-01-01-no-title-given.md": "---\n---\nUntitled: {{ page.title }}.\n",
    "draft.md": "---\ntitle: Draft\npublished: false\n---\n{{ page.nothing.here }}\n",
    "guide/setup.md": "---\ntitle: Setup\n---\nSetup at {{ page.url }} in {{ page.dir }}.\n",
    # nil, empty and blank as Jekyll's Liquid compares with them, in conditions and in case
    "compare.md": "---\ntitle: Compare\ntext: ''\nspaces: '  '\nlist: []\nzero: 0\n---\n"
    + "".join(
        f"{{% if {left} {op} {right} %}} {index}{{% endif %}}"
        for index, (left, op, right) in enumerate(
            (left, op, right)
            for left in ("page.nothing", "page.text", "page.spaces", "page.list", "page.zero")
            for op in ("==", "!=")
            for right in ("nil", "empty", "blank")
        )
    )
    + "\n{% case page.nothing %}{% when nil %}N{% else %}E{% endcase %}"
    "{% case page.text %}{% when blank %}B{% when empty %}M{% else %}E{% endcase %}"
    "{% case page.list %}{% when blank, 1 %}B{% when empty %}L{% else %}E{% endcase %}"
    '{% case page.title %}{% when nil, "Compare" %}T{% else %}E{% endcase %}'
    "{% case 1 %}{% when 2 %}x{% else %}e{% when 1 %}w{% else %}f{% endcase %}\n",
    "index.md": textwrap.dedent("""\
        ---
        title: Home
        ---
        # {{ site.data.sidebars.main.title }}

        {% for entry in site.data.sidebars.main.entries %}- [{{ entry.title }}]({{ entry.url }})
        {% endfor %}
        {% include heading.md title="People" %}
        | name | id |
        | --- | --- |
        {% for person in site.data.people %}{% include row.md name=person.name
          id=person.id %}{% endfor %}
        {% include row.md name="Zoe" id=227324526 %}
        {% include /examples/body.json id=42 %}
        {% include button.html url="/x/" %} {% include button.html %}
        {% assign slash = "\\" %}[{{ slash }}]

        Pages: {% for p in site.pages %}{% if p.title %}{{ p.url }} ({{ p.title }}); {% endif
          %}{% endfor %}
        Posts: {% for post in site.posts %}{{ post.url }} {{ post.date | date: "%Y-%m-%d" }}
          {{ post.title }}; {% endfor %}
        Tags: {% for tag in site.tags %}{{ tag[0] }}={{ tag[1].size }} {% endfor %}
        Categories: {% for c in site.categories %}{{ c[0] }}={{ c[1] | map: "title"
          | join: "," }} {% endfor %}
        Collections: {% for c in site.collections %}{{ c.label }}:{{ c.docs.size }}:{{ c.output
          }} {% endfor %}
        Recipes: {% for r in site.recipes %}{{ r.url }} {{ r.title }}; {% endfor %}
        Notes: {{ site.notes.size }}
        Data: {{ site.data.prices.small | join: "+" }} {{ site.data.prices.large }}
          {% for row in site.data.tables.rows %}{{ row.name }}={{ row.size }} {% endfor %}

        Links: {% link about.md %} {% link guide/setup.md %} {% link _recipes/soup.md %}
        {% link _posts/2021-03-04-first-post.md %} {% post_url 2022-05-06-second-post %}
        {% assign target = "guide/setup.md" %}{% link {{ target }} %}
        """),
}


# Which files are pages: Jekyll's rules for folders and names, include: and exclude: (with
# wildcards, a dot folder included, a file include: names inside an excluded folder), front
# matter, published: false. A page of one and not the other is "missing" or "extra".
PUBLISHING = {
    "_config.yml": "title: Publishing\n"
    'exclude: ["drafts/*", "*.tmp.md", docs/old, "notes-?.md", docs/priv, READ, "extra/"]\n'
    'include: [.well-known, _shared, docs/old/keep.md, "_gen*"]\n',
    "_includes/name.md": "{{ page.title }}\n",
    "index.md": "---\ntitle: Home\n---\n{% include name.md %}\n",
    ".well-known/about.md": "---\ntitle: Well known\n---\n{% include name.md %}\n",
    ".hidden/secret.md": "---\ntitle: Hidden\n---\nNo.\n",
    "_shared/page.md": "---\ntitle: Shared\n---\n{% include name.md %}\n",
    "_generated/page.md": "---\ntitle: Generated\n---\n{% include name.md %}\n",
    "_private/page.md": "---\ntitle: Private\n---\nNo.\n",
    "guide/_parts/page.md": "---\ntitle: Part\n---\nNo.\n",
    "guide/deep/page.markdown": "---\ntitle: Deep\n---\n{% include name.md %}\n",
    "guide/short.mkd": "---\ntitle: Short\n---\n{% include name.md %}\n",
    "backup~.md": "---\ntitle: Backup\n---\nNo.\n",
    "#scratch.md": "---\ntitle: Scratch\n---\nNo.\n",
    "drafts/one.md": "---\ntitle: Draft one\n---\nNo.\n",
    "drafts.md": "---\ntitle: Drafts\n---\n{% include name.md %}\n",
    "page.tmp.md": "---\ntitle: Temporary\n---\nNo.\n",
    "notes-1.md": "---\ntitle: Notes one\n---\nNo.\n",
    "notes-10.md": "---\ntitle: Notes ten\n---\n{% include name.md %}\n",
    "docs/old/gone.md": "---\ntitle: Gone\n---\nNo.\n",
    "docs/old/keep.md": "---\ntitle: Kept\n---\n{% include name.md %}\n",
    "docs/new.md": "---\ntitle: New\n---\n{% include name.md %}\n",
    "vendor/bundle/gem.md": "---\ntitle: Gem\n---\nNo.\n",
    "node_modules/module.md": "---\ntitle: Module\n---\nNo.\n",
    "plain.md": "No front matter: copied as it is.\n",
    "page.html": "---\ntitle: HTML page\n---\n<p>{{ page.title }}</p>\n",  # not Markdown
    "feed.xml": "---\n---\n<feed>{{ site.title }}</feed>\n",
    "logo.svg": "<svg/>\n",  # no front matter: a static file
    # exclude: compares the start of the path too (Jekyll's EntryFilter), so these are out
    "docs/private/page.md": "---\ntitle: Private docs\n---\nNo.\n",
    "README.md": "---\ntitle: Read me\n---\nNo.\n",
    "Gemfile.md": "---\ntitle: Gem file\n---\nNo.\n",
    "extra/page.md": "---\ntitle: Extra\n---\nNo.\n",
    "extra-two.md": "---\ntitle: Extra two\n---\n{% include name.md %}\n",  # "extra/" only
    "unpublished.md": "---\ntitle: Unpublished\npublished: false\n---\nNo.\n",
    "_posts/2020-01-02-kept.md": "---\ntitle: Kept post\n---\n{% include name.md %}\n",
    "_posts/2999-01-01-later.md": "---\ntitle: Later\n---\nNo: future: false.\n",
    "_posts/undated.md": "---\ntitle: Undated\n---\nNo: no date in its name.\n",
}


# Details a new user's tree met: link and post_url under a baseurl (Jekyll 4 puts it in
# front), Jekyll's date strings (the day with two digits), join over nested arrays and nil,
# a tree without _includes/.
DETAILS = {
    "_config.yml": "title: Details\nbaseurl: /b\npermalink: pretty\n"
    "collections:\n  faq:\n    output: true\n"
    "defaults:\n"
    "  - scope: {type: posts}\n    values: {author: Al}\n"
    "  - scope: {path: ''}\n    values: {author: Everyone, kind: page}\n",
    "_posts/2023-03-04-second.md": "---\ntitle: Second\ncategories: news tech\ntags: one\n---\n"
    '{{ page.author }} {{ page.kind }} [{{ page.categories | join: "," }}] '
    '{{ page.categories.size }} [{{ page.tags | join: "," }}] {{ page.date }}\n',
    "about.md": "---\ntitle: About\n---\nAbout.\n"
    # a hash prints as Ruby inspects it; inspect escapes it for HTML
    "[{{ site.data.people[0] }}] [{{ site.data.people[0] | inspect }}] "
    '[{{ "x\ty" | inspect }}] [{{ site.data.people[0].tags | inspect }}]\n',
    "_data/people.yml": '- name: "a \\"q\\""\n  id: 7\n  tags: [x, 2, null, true]\n'
    "  sub: {k: 1.5}\n",
    "_posts/2023-02-01-first.md": "---\ntitle: First\n---\nFirst.\n",
    "index.md": "---\ntitle: Home\nreleased: 2021-05-06\nlist: [[a, b], [c], null, d]\n---\n"
    "[{{ page.released | date_to_string }}] [{{ page.released | date_to_long_string }}] "
    '[{{ page.released | date_to_string: "ordinal", "US" }}] '
    '[{{ page.released | date_to_string: "ordinal" }}] '
    '[{{ page.released | date_to_string: nil, "US" }}] '
    "[{{ page.released | date_to_rfc822 }}]\n\n"
    '[{{ page.list | join: "," }}] [{{ site.posts | map: "nope" | join: "," }}] '
    "[{{ page.list | join }}]\n\n"
    "[{% link about.md %}] [{% post_url 2023-02-01-first %}]\n\n"
    '[{{ page.author }}] [{{ site.posts | map: "author" | join: "," }}] '
    '[{{ site.posts | where: "author", "Al" | size }}] [{{ site.html_pages | size }}]\n\n'
    "[{% link _faq/q1.md %}] [{{ site.faq[0].url }}] [{{ site.posts[0].url }}]\n",
    "_faq/q1.md": "---\ntitle: Q1\n---\n{{ page.url }}\n",
}


@dataclass(frozen=True)
class Tree:
    name: str
    #: identical pages at least (out of ``total``)
    floor: int
    total: int
    #: pages known to differ: why, and the diagnostic code we print for the page
    known: dict[str, tuple[str, str]]


def _tree_source(name: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if name == "devportal-sample":
        return require_shared(CORPUS)
    if name == "jekyll-docs":
        return require_shared(JEKYLL_DOCS)
    root = tmp_path_factory.mktemp(name) / "site"
    return write_tree(
        root, {"constructs": CONSTRUCTS, "publishing": PUBLISHING, "details": DETAILS}[name]
    )


TREES = [
    Tree("constructs", floor=9, total=9, known={}),
    Tree("publishing", floor=13, total=13, known={}),
    Tree("details", floor=5, total=5, known={}),
    Tree("devportal-sample", floor=38, total=38, known={}),
    Tree("jekyll-docs", floor=206, total=206, known={}),
]


@pytest.fixture(scope="module")
def renders(jekyll: str, tmp_path_factory: pytest.TempPathFactory):
    """Each tree built by Jekyll and rendered by us once per session, when first asked."""
    done: dict[str, tuple[Comparison, str, Path, Path]] = {}

    def render(name: str) -> tuple[Comparison, str, Path, Path]:
        if name not in done:
            src = _tree_source(name, tmp_path_factory)
            work = tmp_path_factory.mktemp(f"differential-{name}")
            theirs = run_jekyll(jekyll, src, work)
            ours, stderr = run_ours(src, work)
            done[name] = compare(theirs, ours, not_written(src)), stderr, theirs, ours
        return done[name]

    return render


@pytest.fixture(params=TREES, ids=[t.name for t in TREES])
def rendered(request: pytest.FixtureRequest, renders) -> tuple[Tree, Comparison, str, Path, Path]:
    return (request.param, *renders(request.param.name))


def test_every_page_renders_as_real_jekyll_renders_it(rendered):
    tree, comparison, stderr, theirs, ours = rendered
    print(f"\n{tree.name}: {comparison.summary()}")
    assert comparison.total == tree.total
    assert not comparison.missing and not comparison.extra, comparison.summary()
    assert len(comparison.identical) >= tree.floor, comparison.summary()
    assert set(comparison.differing) <= set(tree.known), comparison.summary()
    for page, (_, code) in tree.known.items():  # never silently different
        assert re.search(rf"^{re.escape(page)}:\d+:\d+: \w+ {code}", stderr, re.M), page


def test_the_constructs_render_to_what_jekyll_gives(renders):
    _, stderr, theirs, ours = renders("constructs")
    home = (ours / "index.md").read_text(encoding="utf-8")
    assert home == (theirs / "index.md").read_text(encoding="utf-8")
    # (each include keeps its last newline, as in Jekyll: the loop's rows, then the row
    # after the loop's own newline)
    for fact in (
        "# Main sidebar",
        "## People\n\n| name | id |",
        "| Ann | 7 |\n| Bob | 9 |",
        "\n| Zoe | 227324526 |\n",
        '{"id": 42}',
        '<a href="/x/">go</a>\n no link',
        "[\\]",
        # site.pages by file name
        "/about-us/ (About); /compare.html (Compare); /contact.html (Contact); / (Home);",
        "/release/2021/03/04/first-post.html",
        "No Title Given",
        "news=2 intro=1",
        "recipes:2:true",
        "/recipes/hot/chili/ Chili",
        "Notes: 1",
        "Data: 1+2 9\n  mug=3 bowl=5",
        "/about-us/ /guide/setup.html /recipes/soup/",
    ):
        assert fact in home, fact
    assert not (ours / "draft.md").exists()  # published: false
    assert (ours / "about.md").read_text(encoding="utf-8") == "This is /about-us/.\n"


def test_the_pages_jekyll_leaves_out_are_counted_by_why(renders):
    """What Jekyll does not publish of the publishing tree (the pages compared above are
    what it does publish) is named in one note, each page under the rule that leaves it out."""
    comparison, stderr, theirs, _ = renders("publishing")
    assert "docs/old/keep.md" in comparison.identical  # named by include: in an excluded folder
    note = next(line for line in stderr.splitlines() if line.startswith("note: not checked"))
    for reason in (
        "_private/ (folders starting with '_'): 1 page",
        "guide/_parts/ (folders starting with '_'): 1 page",
        "files starting with '#': 1 page",
        "files without front matter (Jekyll copies them unrendered): 1 page",
        "pages with 'published: false': 1 page",
        "posts dated in the future (future: false): 1 page",
        "posts without a date in their file name: 1 page",
        "paths under exclude: in _config.yml: 8 pages",  # Gemfile.md by the default ones
    ):
        assert reason in note, note
    others = next(line for line in stderr.splitlines() if line.startswith("note: not checked:"))
    assert "2 pages Jekyll renders that are not Markdown (feed.xml, page.html)" in others
    assert (theirs.parent / "_site" / "page.html").is_file()  # Jekyll renders it
    for left_out in ("_private/page.md", "#scratch.md", "unpublished.md", "docs/old/gone.md"):
        assert not (theirs / left_out).exists()  # and Jekyll agrees


def test_a_site_without_includes_is_a_jekyll_tree_with_nothing_to_report(renders, tmp_path):
    """Jekyll needs no _includes/: neither does the check (found as a Jekyll tree by its
    _config.yml, no error about a missing folder)."""
    _, stderr, _, _ = renders("details")
    assert "ED401" not in stderr, stderr
    root = write_tree(tmp_path / "site", DETAILS)
    result = run_cli("check", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "checked 5 pages: 0 errors, 0 warnings" in result.stdout
