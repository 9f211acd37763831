"""Liquid as Jekyll writes it, translated to Jinja: what it renders, where it reports, and
that the translation keeps every line in place and leaves Jinja alone."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.load.jekyll_tree import jekyll_settings
from generator.pipeline.project import PageResult, Project
from generator.render.liquid.translate import translate
from generator.settings import load_settings

FRONT = """\
title: Guide
heading: Acme CRM
key: acmecrm
tags: [beta, alpha, Gamma]
empty_text: ""
nothing:
zero: 0
people:
  - {name: ann, role: admin}
  - {name: bob, role: user}
  - {name: cy, role: admin}
pairs: {one: 1, two: 2}
released: 2021-05-06
"""
CONFIG = "title: My Site\nconsole: Console One\nurl: https://docs.example.org\nbaseurl: /base\n"


def jekyll_tree(root: Path, files: dict[str, str], config: str = CONFIG) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "_config.yml").write_text(config, encoding="utf-8")
    (root / "_includes").mkdir(exist_ok=True)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def render_page(
    tmp_path: Path,
    body: str,
    files: dict[str, str] | None = None,
    front: str = FRONT,
    page: str = "page.md",
    strict: bool | None = None,
) -> PageResult:
    root = jekyll_tree(tmp_path / "site", {page: f"---\n{front}---\n{body}", **(files or {})})
    project = Project(jekyll_settings(root, strict), use_cache=False)
    project.load_all()
    return project.check_page(root / page)


def found(result: PageResult) -> list[tuple[str, int]]:
    return [(d.code, d.location.line) for d in result.diagnostics]


# --- what Liquid renders ------------------------------------------------------------------

# (Liquid, what Jekyll renders) -- each case checked against Liquid's documented behaviour
RENDER_CASES = [
    # variables, hyphenated keys, site from _config.yml
    ("{{ page.heading }}|{{page.key}}|{{ site.console }}", "Acme CRM|acmecrm|Console One"),
    # nil prints nothing, booleans print in lower case, arrays joined
    ("[{{ page.nothing }}]{{ true }}{{ page.tags }}", "[]truebetaalphaGamma"),
    # filters with Liquid's argument syntax, chained
    ('{{ "a,b,,c,," | split: "," | join: "+" }}', "a+b++c"),
    (
        "{{ page.tags | join }}|{{ page.tags | size }}|{{ page.tags.size }}|{{ page.heading.size }}",
        "beta alpha Gamma|3|3|8",
    ),
    (
        '{{ page.tags | sort | join: "," }}|{{ page.tags | sort_natural | join: "," }}',
        "Gamma,alpha,beta|alpha,beta,Gamma",
    ),
    (
        "{{ page.tags | first }}{{ page.tags | last }}{{ page.tags.first }}{{ page.tags | reverse | "
        'join: "" }}',
        "betaGammabetaGammaalphabeta",
    ),
    ('{{ "Hello" | prepend: "[" | append: "]" | upcase }}{{ "ÀB" | downcase }}', "[HELLO]àb"),
    (
        '{{ " x " | strip }}|{{ "a-b-a" | replace: "a", "o" }}|{{ "a-b-a" | replace_first: "a", "o" }}'
        '|{{ "a-b-a" | remove: "a" }}',
        "x|o-b-o|o-b-a|-b-",
    ),
    (
        '{{ "<b>x</b> & \'y\'" | escape }}|{{ "<p>t<br>x</p>" | strip_html }}',
        "&lt;b&gt;x&lt;/b&gt; &amp; &#39;y&#39;|tx",
    ),
    (
        '{{ "hello world" | capitalize }}|{{ "Some Title: Two!" | slugify }}|'
        '{{ "a b&c" | url_encode }}',
        "Hello world|some-title-two|a+b%26c",
    ),
    (
        '{{ page.missing | default: "none" }}|{{ page.empty_text | default: "e" }}|'
        '{{ page.zero | default: 5 }}|{{ false | default: "f" }}',
        "none|e|0|f",
    ),
    (
        "{{ 7 | plus: 3 | times: 2 | minus: 1 }}|{{ 10 | divided_by: 4 }}|{{ 10.0 | divided_by: 4 }}"
        "|{{ 7 | modulo: 3 }}|{{ 2.5 | round }}|{{ 3.14159 | round: 2 }}",
        "19|2|2.5|1|3|3.14",
    ),
    (
        '{{ "abcdefghij" | truncate: 6 }}|{{ "one two three" | truncatewords: 2 }}',
        "abc...|one two...",
    ),
    (
        '{{ page.people | map: "name" | join: "," }}|{{ page.people | where: "role", "admin" | '
        'map: "name" | join: "," }}',
        "ann,bob,cy|ann,cy",
    ),
    (
        '{{ "b a b c a" | split: " " | uniq | join: "," }}|{{ page.people | map: "role" | uniq | '
        'join: "," }}|{{ page.tags | concat: page.tags | size }}',
        "b,a,c|admin,user|6",
    ),
    (
        "{{ page.pairs | jsonify }}|{{ page.tags | jsonify }}",
        '{"one":1,"two":2}|["beta","alpha","Gamma"]',
    ),
    (
        '{{ "guide/x.html" | relative_url }}|{{ "/x.html" | absolute_url }}',
        "/base/guide/x.html|https://docs.example.org/base/x.html",
    ),
    (
        '{{ page.released | date: "%Y/%m/%d" }}|{{ page.released | date_to_string }}',
        "2021/05/06|06 May 2021",
    ),
    ('{{ "a\nb" | newline_to_br }}', "a<br />\nb"),
    # tags
    ('{% if page.nothing %}1{% elsif page.heading == "Acme CRM" %}2{% else %}3{% endif %}', "2"),
    ('{% unless page.tags contains "beta" %}no{% else %}yes{% endunless %}', "yes"),
    ('{% if page.heading contains "CRM" and page.zero == 0 %}both{% endif %}', "both"),
    # Liquid groups and/or from the right: true and (false or true)
    ("{% if true and false or true %}R{% else %}L{% endif %}", "R"),
    # only nil and false are false: "" and 0 are true
    (
        "{% if page.empty_text %}a{% endif %}{% if page.zero %}b{% endif %}"
        "{% if page.nothing %}c{% endif %}",
        "ab",
    ),
    (
        "{% if page.nothing == nil %}n{% endif %}{% if page.empty_text == empty %}e{% endif %}"
        '{% if "  " == blank %}b{% endif %}{% if page.tags != empty %}t{% endif %}',
        "nebt",
    ),
    (
        '{% case page.key %}{% when "x", "acmecrm" %}hit{% when "y" %}y{% else %}no{% endcase %}',
        "hit",
    ),
    # every when that matches renders, as in Jekyll's Liquid, one after an else too (and
    # nil matches a missing value); checked with Jekyll 4.3
    (
        '{% case page.key %}{% when "acmecrm" %}a{% when "acmecrm", "z" %}b{% else %}c'
        '{% when "acmecrm" %}d{% endcase %}{% case page.nothing %}{% when nil %}n{% endcase %}'
        "{% case 1 %}{% when 2 %}x{% else %}e{% when 1 %}never{% endcase %}",
        "abdnenever",
    ),
    (
        "{% for t in page.tags %}{{ forloop.index }}{{ t }}{% unless forloop.last %},{% endunless %}"
        "{% endfor %}",
        "1beta,2alpha,3Gamma",
    ),
    (
        "{% for i in (1..6) limit: 2 offset: 1 %}{{ i }}{% endfor %}|{% for i in (1..3) reversed %}"
        "{{ i }}{{ forloop.rindex }}{% endfor %}",
        "23|332211",
    ),
    ("{% for kv in page.pairs %}{{ kv[0] }}={{ kv[1] }};{% endfor %}", "one=1;two=2;"),
    ("{% for x in page.nothing %}x{% else %}none{% endfor %}", "none"),
    (
        "{% for i in (1..5) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}"
        "{% endif %}{{ i }}{% endfor %}",
        "13",
    ),
    # assign inside a loop is seen after it (one scope per page, as in Liquid)
    (
        "{% assign total = 0 %}{% for i in (1..4) %}{% assign total = total | plus: i %}{% endfor %}"
        "{{ total }}",
        "10",
    ),
    ("{% capture who %}{{ page.heading }} team{% endcapture %}{{ who | upcase }}", "ACME CRM TEAM"),
    ("{% increment n %}{% increment n %}{% decrement m %}", "01-1"),
    ('{% for i in (1..3) %}{% cycle "odd", "even" %} {% endfor %}', "odd even odd "),
    ("{% raw %}{{ not.liquid }} {% if %}{% endraw %}", "{{ not.liquid }} {% if %}"),
    ("a{% comment %} {{ page.nothing_here }} {% if %} {% endcomment %}b", "ab"),
    ("{% echo page.heading | upcase %}", "ACME CRM"),
    ("x {%- assign a = 1 -%} \n {{- a -}} \n y", "x1y"),
    # Liquid's lax parser reads {{x}} in a condition as x; a string has no escapes
    ("{% if {{page.heading}} %}y{% endif %}{% if {{ page.nothing }} %}n{% endif %}", "y"),
    ('{% assign s = "\\" %}[{{ s }}]{{ "a\\b" | append: "\\" }}', "[\\]a\\b\\"),
    # kramdown's {#id} is text in Liquid (a comment opener in Jinja)
    ("## Heading {#custom-id}", "## Heading {#custom-id}"),
]


@pytest.mark.parametrize(("liquid", "expected"), RENDER_CASES)
def test_liquid_renders_as_jekyll_does(tmp_path, liquid, expected):
    result = render_page(tmp_path, liquid)
    assert found(result) == []
    assert result.rendered.text == expected


def test_includes_with_parameters_share_the_page_scope(tmp_path):
    files = {
        "_includes/card.html": '<div class="{{ include.kind }}">{{ include.content }}</div>\n'
        "{% assign seen = include.kind %}",
        "_includes/list.md": "{% for p in include.items %}- {{ p.name }} ({{ label }})\n"
        "{% endfor %}",
        "_includes/_data/not-data.yml": "x: 1\n",
        "_data/words.yml": "element-auth-name: The instance name.\n",
    }
    body = textwrap.dedent("""\
        {% include card.html content="Use <b>both</b> \\"keys\\"" kind='tip' %}
        after: {{ seen }}
        {% assign label = "L" %}{% include list.md items=page.people %}
        {{ site.data.words.element-auth-name }}
        """)
    result = render_page(tmp_path, body, files)
    assert found(result) == []
    text = result.rendered.text
    assert '<div class="tip">Use <b>both</b> "keys"</div>' in text
    assert "after: tip" in text  # an include's assign is the page's, as in Liquid
    assert "- ann (L)\n- bob (L)\n- cy (L)" in text  # and it reads the page's variables
    assert "The instance name." in text


def test_include_relative_reads_beside_the_page_and_stays_in_the_tree(tmp_path):
    files = {
        "guide/snippets/step.md": "Step for {{ page.heading }}\n",
        "guide/names/acme.md": "named by page\n",
        "outside.md": "---\ntitle: o\n---\nx\n",
    }
    body = (
        "{% include_relative snippets/step.md %}\n"
        "{% include_relative names/{{ page.key | remove: 'crm' }}.md %}\n"
        "{% include_relative ../outside.md %}\n"
        "{% include_relative snippets/missing.md %}\n"
    )
    result = render_page(tmp_path, body, files, page="guide/page.md")
    assert "Step for Acme CRM" in result.rendered.text
    assert "named by page" in result.rendered.text
    problems = {(d.code, d.location.line): d.message for d in result.diagnostics}
    assert set(problems) == {("ED304", 18), ("ED303", 19)}
    assert "leaves the page's folder" in problems[("ED304", 18)]
    assert "guide/snippets/missing.md" in problems[("ED303", 19)]


# --- where problems are reported ----------------------------------------------------------


def test_unsupported_constructs_are_reported_where_they_stand_and_the_rest_renders(tmp_path):
    body = textwrap.dedent("""\
        before
        {% tablerow t in page.tags cols:2 %}
          {{ t }}
        {% endtablerow %}
        {{ page.heading | frobnicate: 3 }}
        {% youtube abc123 %}
        {% for p in page.people %}{{ forloop.parentloop.index }}{% endfor %}
        {{ page.people | where_exp: "p", "p.role == 'admin'" | size }}
        after {{ page.key }}
        """)
    result = render_page(tmp_path, body)
    messages = {(d.code, d.location.line, d.message) for d in result.diagnostics}
    assert messages == {
        ("ED311", 17, "unsupported Liquid tag 'tablerow'"),
        ("ED311", 20, "unsupported Liquid filter 'frobnicate'"),
        ("ED311", 21, "unsupported Liquid tag 'youtube'"),
        ("ED311", 22, "unsupported Liquid forloop.parentloop"),
        ("ED311", 23, "unsupported Liquid filter 'where_exp'"),
    }
    assert "before" in result.rendered.text and "after acmecrm" in result.rendered.text
    assert "Acme CRM" in result.rendered.text  # the value, without the unknown filter


def test_syntax_errors_and_undefined_variables_name_their_own_line(tmp_path):
    body = textwrap.dedent("""\
        line 16
        {% assign x =
             page.heading
             | upcase %}
        {{ x }} {{ page.nope }}
        ```bash
        curl -H "Authorization: {{token}}" {{ $json.url }}
        ```
        {% if page.heading == %}bad{% endif %}
        """)
    result = render_page(tmp_path, body)
    assert "ACME CRM" in result.rendered.text
    assert sorted(found(result)) == [("ED301", 22), ("ED301", 24), ("ED302", 20), ("ED302", 22)]
    undefined = [d for d in result.diagnostics if d.code == "ED302"]
    assert {d.message for d in undefined} == {"'page.nope' is undefined", "'token' is undefined"}
    lax = render_page(tmp_path / "lax", body, strict=False)
    assert {d.level.value for d in lax.diagnostics if d.code == "ED302"} == {"warning"}


def test_jinja_tags_are_unknown_liquid_tags_in_a_jekyll_tree(tmp_path):
    result = render_page(tmp_path, "{% set x = 1 %}{% if true %}ok{% endif %}\n")
    assert [(d.code, d.message) for d in result.diagnostics] == [
        ("ED311", "unknown Liquid tag 'set'")
    ]
    assert result.rendered.text == "ok\n"  # the file's last newline is kept, as in Jekyll


# --- the translation ----------------------------------------------------------------------


def test_translation_reads_like_jinja():
    liquid = textwrap.dedent("""\
        {% assign names = include.names | split: "," %}
        {% for name in names limit: 2 %}{{ forloop.index }}{{ name | upcase }}{% endfor %}
        {% if page.x contains "a" or page.y == nil %}{{ site.data.words.the-name }}
        {% elsif page.z %}{% else %}{% endif %}
        {% unless page.hide %}shown{% endunless %}
        {% capture out %}{{ page.t | default: "none" }}{% endcapture %}{{ out }}
        """)
    assert translate(liquid).text == textwrap.dedent("""\
        {% set vars.names = include.names | split(",") %}
        {% for name in vars.names | each(limit=2) %}{{ loop.index }}{{ name | upcase }}{% endfor %}
        {% if page.x is containing "a" or page.y is nil %}{{ site.data.words["the-name"] }}
        {% elif page.z is truthy %}{% else %}{% endif %}
        {% if not (page.hide is truthy) %}shown{% endif %}
        {% set vars.out %}{{ page.t | liquid_default("none") }}{% endset %}{{ vars.out }}
        """)


def test_translation_keeps_every_line_of_constructs_spread_over_lines():
    liquid = (
        '{% assign x\n  = "a"\n  | upcase %}\n{% comment %}\nnote\n{% endcomment %}\n'
        '{{ page.x\n | default: "y" }}\n{% include note.html\n   content="c" %}\n'
        "{% if a\n and b %}{% endif %}\n{% tablerow\n x in y %}{% endtablerow %}\n"
    )
    for liquid_mode in (True, False):
        text = translate(liquid, liquid=liquid_mode).text
        assert text.count("\n") == liquid.count("\n")


def test_jinja_is_left_unchanged():
    sources = [
        p.read_text(encoding="utf-8")
        for folder in ("content", "includes")
        for p in sorted((REPO / folder).rglob("*"))
        if p.is_file()
    ]
    sources += [
        '{% set ns = namespace(x=1) %}{{ ns.x | default("y") }}{% for i in range(3) %}'
        "{{ loop.index }}{% endfor %}{# a {% comment %} #}",
        '{{ {"a": 1} | tojson }} {{ x | join }} {{ "%}" ~ "}}" }} '
        "{% raw %}{{ x | f: 1 }}{% endraw %}",
        "{%- if a -%}\n  x\n{%- elif b -%}y{%- endif -%}",
        "{% include Elements/autotask/authenticate.md%} {% macro m(a) %}{{ a }}{% endmacro %}",
    ]
    for source in sources:
        assert translate(source, liquid=False).text == source


def test_liquid_only_tags_and_filter_syntax_also_work_in_jinja_content(make_project):
    from generator import load_settings

    root = make_project(
        {
            "content/page.md": '{% assign parts = "a,b" | split: "," %}{{ parts | join: "+" }}'
            "{% unless parts %}none{% endunless %}{% if false %}{% elsif true %}"
            "E{% endif %}\n"
        }
    )
    project = Project(load_settings(root))
    project.load_all()
    result = project.check_page(root / "content/page.md")
    assert result.diagnostics == []
    assert result.rendered.text == "a+bE\n"


FRAGMENTS = st.sampled_from(
    [
        "{%",
        "%}",
        "{{",
        "}}",
        "{#",
        "#}",
        "-",
        " ",
        "\n",
        "if",
        "elsif",
        "else",
        "endif",
        "for",
        "in",
        "endfor",
        "assign",
        "=",
        "x",
        "a.b-c",
        "|",
        ":",
        ",",
        '"s"',
        "'t'",
        "1",
        "..",
        "(",
        ")",
        "[",
        "]",
        "raw",
        "endraw",
        "comment",
        "endcomment",
        "capture",
        "endcapture",
        "case",
        "when",
        "endcase",
        "unless",
        "contains",
        "nil",
        "include",
        "p.md",
        "k=v",
        "highlight",
        "tablerow",
        "cycle",
        "forloop.index",
        "limit",
        "reversed",
        "and",
        "or",
        "==",
        "split",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(FRAGMENTS, max_size=30))
def test_any_text_translates_with_its_lines_kept_and_translates_once(parts):
    source = "".join(parts)
    for liquid_mode in (True, False):
        translated = translate(source, liquid=liquid_mode).text
        assert translated.count("\n") == source.count("\n")
        # translated text is Jinja: translating it again (as imported content) changes nothing
        assert translate(translated, liquid=False).text == translated


@settings(max_examples=50, deadline=None)
@given(st.lists(FRAGMENTS, max_size=25))
def test_any_text_renders_to_diagnostics_never_a_crash(tmp_path_factory, parts):
    root = jekyll_tree(tmp_path_factory.mktemp("fuzz"), {"_includes/p.md": "P"})
    project = Project(jekyll_settings(root), use_cache=False)
    result = project.renderer.render("".join(parts), "page.md", 1, {"t": "T"})
    assert all(d.location is not None and d.code.startswith("ED3") for d in result.diagnostics)
    assert all(d.code != "ED309" for d in result.diagnostics)


# --- pages rendered in parts (ElementDocsEnvironment.composed) -----------------------------

PART_FILES = {
    "_includes/card.html": '<div class="{{ include.kind }}">{{ include.content }}</div>\n'
    "{% assign seen = include.kind %}{% increment k %}",
    "_includes/row.md": "- {{ p.name }} {% cycle 'odd', 'even' %}\n{% include card.html kind=p.role %}",
    "_includes/plain.md": "plain {{ page.heading }}\n",
    "note.md": "a note beside the page\n",
    "_includes/trim.md": "{{ include.t }}\n\n{%- comment -%} x {%- endcomment -%}\nrest\n",
}
# whole constructs, whose parts hand each other values through Liquid's one scope (assign,
# capture, an include's assign), counters (increment, cycle) and loops around includes
PART_CONSTRUCTS = [liquid for liquid, _ in RENDER_CASES] + [
    "{% include card.html content='Use it' kind=page.key %}",
    "{{ seen }}|{{ k }}|{{ total }}",
    "{% assign n = page.tags | size %}{{ n }}",
    "{% capture c %}x{{ n }}{{ seen }}{% endcapture %}{{ c | upcase }}",
    "{% cycle 'a', 'b' %}{% increment k %}",
    "{% for p in page.people %}{% include row.md %}{% endfor %}",
    "{% include_relative note.md %}",
    "{% include plain.md %}{% if seen %}{% include plain.md %}{% endif %}",
    "{{ page.no_such_key }}",
    "{% include missing.md %}",
    "{% if page.heading %}\n\n{{ page.heading | downcase }}\n{% endif %}",
    # a comment's trim at the top level (in a page, and in a partial)
    "{{ page.title }}\n\n{%- comment -%} x {%- endcomment -%}\nrest",
    "{{ page.key }}\n\n{%- # note -%}\n{% include trim.md t='T' %}",
    # include is undefined on a page, even after an assign of that name, and a break
    # outside a loop is reported as it always was
    '{% assign include = "v" %}[{{ include }}]',
    "{% if true %}{% break %}{% endif %}",
]


def _render_both_ways(root: Path, body: str) -> tuple[Any, Any]:
    """What rendering ``body`` gives in parts, and with every template compiled whole (as
    before parts; the way of a page that cannot be split in parts): its text, each line's
    origin and the diagnostics, or the exception it raised."""
    page = {
        "heading": "Acme CRM",
        "key": "acmecrm",
        "tags": ["b", "a"],
        "people": [{"name": "ann", "role": "admin"}, {"name": "bob", "role": "user"}],
    }
    outcomes = []
    for whole in (False, True):
        renderer = Project(jekyll_settings(root), use_cache=False).renderer
        if whole:
            renderer.env.composed = lambda pieces: None
        try:
            result = renderer.render(body, "page.md", 1, page)
            outcomes.append((result.text, result.origins, result.diagnostics))
        except Exception as exc:  # noqa: BLE001 - the check turns it into an ED309
            outcomes.append((type(exc).__name__, str(exc)))
    return outcomes[0], outcomes[1]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(PART_CONSTRUCTS), st.sampled_from(["", "\n", " text ", "\n\n"])),
        min_size=1,
        max_size=8,
    )
)
def test_a_page_rendered_in_parts_is_the_page_compiled_whole(tmp_path_factory, constructs):
    root = jekyll_tree(tmp_path_factory.mktemp("parts"), PART_FILES)
    body = "".join(construct + between for construct, between in constructs)
    in_parts, whole = _render_both_ways(root, body)
    assert in_parts == whole


def test_pages_whose_tags_differ_compile_only_the_parts_they_do_not_share(tmp_path, monkeypatch):
    # Real trees' pages each have tags of their own; compiling a template per page was the
    # largest part of a clean check. Their parts repeat: after the first of 24 pages with the
    # same four constructs in 24 orders, nothing is compiled again.
    import itertools

    import jinja2

    constructs = [
        "{{ page.heading | upcase }}",
        "{% include card.html content='c' kind=page.key %}",
        "{% if page.tags %}{{ page.tags | join: ',' }}{% endif %}",
        "{% include plain.md %}",
    ]
    pages = {
        f"p{number}.md": f"---\n{FRONT}---\n# P{number}\n"
        + "\n".join(f"{tag}\ntext {number}-{index}" for index, tag in enumerate(order))
        for number, order in enumerate(itertools.permutations(constructs))
    }
    root = jekyll_tree(tmp_path / "site", {**PART_FILES, **pages})
    parsed: list[str] = []
    parse = jinja2.Environment._parse

    def counting(self: Any, source: str, name: str | None, filename: str | None) -> Any:
        parsed.append(source)
        return parse(self, source, name, filename)

    monkeypatch.setattr(jinja2.Environment, "_parse", counting)
    project = Project(jekyll_settings(root), use_cache=False)
    project.load_all()
    first_page: list[str] = []
    for path in sorted(root.glob("p*.md")):
        result = project.check_page(path)
        assert found(result) == []
        assert "ACME CRM" in result.rendered.text
        first_page = first_page or list(parsed)
    assert len(pages) == 24
    assert parsed == first_page  # the 23 other pages compiled nothing


# --- Jekyll's link tags and site model (compared with real Jekyll in
# test_jekyll_differential; here what needs no Jekyll) ----------------------------------------


def test_link_and_post_url_give_jekyll_urls_and_name_a_missing_target_at_its_line(tmp_path):
    files = {
        "_posts/2020-02-03-hello-world.md": "---\ntitle: Hello\n---\nhi\n",
        "guide/setup.md": "---\ntitle: Setup\npermalink: /setup/\n---\nsetup\n",
        "files/doc.pdf": "%PDF",
    }
    body = textwrap.dedent("""\
        {% link guide/setup.md %} {% link /files/doc.pdf %} {% post_url 2020-02-03-hello-world %}
        {% assign p = "guide/setup.md" %}{% link {{ p }} %}
        [gone]({% link guide/nowhere.md %}) {% post_url 1999-01-01-never %}
        """)
    result = render_page(tmp_path, body, files)
    lines = result.rendered.text.splitlines()
    # Jekyll 4 puts the site's baseurl (here /base) in front, as relative_url does
    assert lines[0] == "/base/setup/ /base/files/doc.pdf /base/2020/02/03/hello-world.html"
    assert lines[1] == "/base/setup/"
    assert {(d.code, d.location.line) for d in result.diagnostics} == {("ED320", 18)}
    assert len([d for d in result.diagnostics if d.code == "ED320"]) == 2


def test_the_site_model_is_jekylls_only_in_a_jekyll_tree(make_project, tmp_path):
    liquid = render_page(
        tmp_path,
        "{{ site.pages | size }} {{ site.posts | size }}",
        {"other.md": "---\ntitle: Other\npublished: false\n---\nx\n"},
    )
    assert liquid.rendered.text == "1 0"  # this page; the unpublished one is not a page
    root = make_project(
        {
            "content/index.md": "---\ntitle: Home\n---\n"
            "{% for p in site.pages %}{{ p.url }}{% endfor %}\n"
            "{{ jekyll_link('x.md') }}\n"
        }
    )
    project = Project(load_settings(root), use_cache=False)
    project.load_all()
    result = project.check_page(root / "content/index.md")
    assert {(d.code, d.location.line) for d in result.diagnostics} == {("ED321", 4), ("ED321", 5)}
    assert any(d.message.startswith("site.pages is Jekyll's list") for d in result.diagnostics)
    assert result.rendered.text == "\n\n"  # the rest renders
