"""Rendering: Jekyll-style includes on Jinja2, variables, the source map, and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import Project, load_settings
from generator.pipeline.project import PageResult
from generator.render.renderer import Renderer

PAGE_HEAD = (
    "---\nheading: Acme CRM\ntitle: Authenticate\nelementId: 7\nelementKey: acmecrm\n"
    "hub: crm\n---\n"
)


def check(
    root: Path, page: str = "content/elements/acme/authenticate.md", strict: bool | None = None
) -> PageResult:
    project = Project(load_settings(root, strict=strict))
    project.load_all()
    return project.check_page(root / page)


def codes(result: PageResult) -> list[str]:
    return [d.code for d in result.diagnostics]


def test_jekyll_include_with_parameters_nested_and_page_site_data_variables(make_project):
    root = make_project(
        {
            "content/elements/acme/authenticate.md": PAGE_HEAD
            + "\n{% include Elements/acme/auth.md%}\n",
            "includes/Elements/acme/auth.md": "# Authenticate with {{page.heading}}\n\n"
            "{% include note.html content=\"Send <b>both</b> keys\" kind='tip' %}\n"
            "Key {{ page.elementKey }} on {{ site.console }}: "
            "{{ site.data.glossary.element-auth-name }}\n",
            "includes/note.html": '<p class="{{ include.kind }}">{{ include.content }} '
            "({{ page.hub }})</p>",
            "includes/_data/glossary.yml": "element-auth-name: The instance's name.\n",
        }
    )
    result = check(root)
    assert codes(result) == []
    text = result.rendered.text
    assert "# Authenticate with Acme CRM" in text
    assert '<p class="tip">Send <b>both</b> keys (crm)</p>' in text
    assert "Key acmecrm on Cloud Elements: The instance's name." in text


def test_include_parameters_reach_the_partial_as_written_whatever_they_hold(make_project):
    """Quoted values, numbers and variables, a repeated key (the last wins), quotes,
    backslashes, a line break and control characters: the partial reads each value as
    Jekyll gives it."""
    root = make_project(
        {
            "content/elements/acme/authenticate.md": PAGE_HEAD
            + "\n{% include show.md a=\"one\" b='two' %}\n"
            + '{% include show.md a="say \\"hi\\"" b=\'back\\slash\' %}\n'
            + '{% include show.md a="first" a="last" b="x" %}\n'
            + "{% include show.md a=7 b=page.elementKey %}\n"
            + '{% include show.md a="two\nlines" b="sep\x1e\x1fhere" %}\n'
            + "After.\n",
            "includes/show.md": "[{{ include.a }}|{{ include.b }}|{{ include.size }}]",
        }
    )
    result = check(root)
    assert [d.message for d in result.diagnostics] == []
    text = result.rendered.text
    assert "[one|two|2]" in text
    assert '[say "hi"|back\\slash|2]' in text
    assert "[last|x|2]" in text
    assert "[7|acmecrm|2]" in text
    assert "[two\nlines|sep\x1e\x1fhere|2]" in text
    assert result.rendered.origin(text.split("\n").index("After.")).line == 15


def test_every_output_line_maps_to_its_source_line_around_tags_trims_and_raw(make_project):
    """Each output line holding a token ``P<n>`` (page line n) or ``A<n>`` (partial line n)
    maps to that line: after tags that print several lines, after trims, inside and after
    raw blocks, through an include and back, and across runs of plain lines."""
    body = (
        "P9 start\n"
        "P10 {{ page.multi }}\n"
        "P11 plain\n\n"
        "P13 plain after a blank\n"
        "{% if true -%}\n"
        "   P15 indent trimmed\n"
        "{%- endif %}\n"
        "P17 {{ '{' }} braces }} in text\n"
        "{% raw %}\n"
        "P19 {{ raw }}\n"
        "P20 raw plain\n"
        "{% endraw %}\n"
        "P22 {% include a.md %}\n"
        "P23 after the include\n"
        "{{ page.multi }}\n"
        "P25 after a multi-line value\n"
        "{% set x = {'a': 1,\n"
        "            'b': 2} %}\n"
        "P28 after a tag over two lines\n"
        "P29 end\n"
    )
    root = make_project(
        {
            "content/page.md": "---\ntitle: T\norder: 1\nmulti: |\n  one\n  two\n  three\n---\n"
            + body,
            "includes/a.md": "A1 {{ page.title }}\n{{ page.multi }}\nA3\n\nA5 {% if true %}x"
            "{% endif %}\nA6\n",
        }
    )
    result = check(root, "content/page.md")
    assert codes(result) == []
    lines = result.rendered.text.split("\n")
    checked = 0
    for number, text in enumerate(lines):
        for token in text.split():
            if token[:1] in "PA" and token[1:].isdigit():
                origin = result.rendered.origin(number)
                path = "content/page.md" if token[0] == "P" else "includes/a.md"
                assert (origin.path, origin.line) == (path, int(token[1:])), (token, text)
                checked += 1
                break
    assert checked == 16, lines


def test_templates_that_look_into_strings_see_the_text_and_errors_keep_their_lines(make_project):
    """Pages are rendered without the source map's markers, and again with them only for
    a page's problems. A template that looks into a string (strip or size of a capture, a
    comparison with one, a trim after a blank line) sees the text alone, and a problem
    found below it still points at its own line."""
    body = (
        "{% capture x %}\n   hello\n{% endcapture %}[{{ x | strip }}] {{ x | size }}\n"
        "{% capture note %}{% include empty.md %}{% endcapture %}"
        "{% if note != '' %}NOTE[{{ note }}]{% endif %}end\n"
        "a\n\n{%- if true %}y{% endif %}\n"
        "\n"
        "```json\n"
        '{"a": 1,,}\n'
        "```\n"
    )
    root = make_project({"content/page.md": "---\ntitle: T\n---\n" + body, "includes/empty.md": ""})
    result = check(root, "content/page.md")
    text = result.rendered.text
    assert text.startswith("[hello] 10\nend\nay\n"), text
    (error,) = result.diagnostics
    assert error.code == "ED210" and error.location.line == 13, error


@pytest.mark.parametrize("looks_into_strings", [False, True])
def test_problems_keep_their_lines_in_a_page_and_a_partial_at_depth_two(
    make_project, monkeypatch, looks_into_strings
):
    """A page is rendered once, with the source map's markers, when none of its templates
    can look into the strings that carry them (Renderer._render_once); else without them
    first. Either way a problem found while rendering and one found later in an example
    point at their own lines, in the page and in a partial included by a partial, with the
    chain of includes; and the text is the one a render without markers gives."""
    # a capture stripped in the partial at depth two: it must see "hello", not markers
    capture = (
        "{% capture x %}\n   hello\n{% endcapture %}[{{ x | strip }}] {{ x | size }}\n"
        if looks_into_strings
        else "[hello] 10\n"
    )
    root = make_project(
        {
            "content/elements/acme/authenticate.md": PAGE_HEAD
            + "\nIntro {{ page.missing }}\n\n{% include a.md %}\nAfter\n",
            "content/elements/acme/events.md": PAGE_HEAD.replace("Authenticate", "Events")
            + "\nIntro\n\n{% include a.md %}\n",
            "includes/a.md": "A1\n{% include b.md %}\nA3\n",
            "includes/b.md": "B1 {% if page.title != 'Events' %}{{ include.absent }}{% endif %}\n"
            + capture
            + '\n```json\n{"a": 1,,}\n```\nB-end\n',
        }
    )
    page = "content/elements/acme/authenticate.md"
    b_error_line = 7 if looks_into_strings else 5
    chain = ["includes/a.md:2", f"{page}:11"]

    def found(result: PageResult) -> list[tuple[str, str, list[str]]]:
        return [
            (d.code, str(d.location), [str(c) for c in d.included_from]) for d in result.diagnostics
        ]

    result = check(root)
    assert found(result) == [
        ("ED302", f"{page}:9:10", []),
        ("ED302", "includes/b.md:1:38", chain),
        ("ED210", f"includes/b.md:{b_error_line}:9", chain),
    ]
    assert "\ue000" not in result.rendered.text and "\ue002" not in result.rendered.text
    if not looks_into_strings:  # (else its text is that of the render with the markers,
        assert "[hello] 10\n" in result.rendered.text  # as it has always been: not changed)
    # the page with nothing wrong in its own text: its example's problem is found later
    other = check(root, "content/elements/acme/events.md")
    events = "content/elements/acme/events.md"
    assert found(other) == [
        ("ED210", f"includes/b.md:{b_error_line}:9", ["includes/a.md:2", f"{events}:11"]),
    ]
    assert "[hello] 10\n" in other.rendered.text
    # and the same as the way of two renders, which the render once replaces
    monkeypatch.setattr(Renderer, "_render_once", lambda *args: None)
    assert found(check(root)) == found(result)
    assert check(root).rendered.text == result.rendered.text
    assert found(check(root, "content/elements/acme/events.md")) == found(other)


def test_output_lines_map_to_partial_lines_with_the_include_chain(make_project):
    root = make_project(
        {
            "content/elements/acme/authenticate.md": PAGE_HEAD + "\nIntro\n\n"
            "{% include a.md %}\nAfter\n",
            "includes/a.md": "A1\n{% include b.md %}\nA3\n",
            "includes/b.md": "B1\nB2\n",
        }
    )
    result = check(root)
    lines = result.rendered.text.split("\n")
    origin = {text: result.rendered.origins[i] for i, text in enumerate(lines) if text}
    page = "content/elements/acme/authenticate.md"
    assert (origin["Intro"].path, origin["Intro"].line) == (page, 9)
    assert (origin["A3"].path, origin["A3"].line) == ("includes/a.md", 3)
    assert (origin["B2"].path, origin["B2"].line) == ("includes/b.md", 2)
    assert [str(c) for c in origin["B2"].chain] == ["includes/a.md:2", f"{page}:11"]
    assert (origin["After"].path, origin["After"].line) == (page, 12)
    assert "\n\n\n" not in result.rendered.text  # partials add no blank lines of their own


def test_undefined_variables_are_all_reported_with_line_and_column(make_project):
    root = make_project(
        {
            "content/elements/acme/authenticate.md": PAGE_HEAD
            + "\nOne {{ page.missing }}\n{% include p.md %}\n",
            "includes/p.md": "Line one\nTwo {{ site.data.glossary.nothing_here }} and "
            "{{ include.absent }}\n",
            "includes/_data/glossary.yml": "a: b\n",
        }
    )
    result = check(root)
    found = [(d.code, str(d.location), d.level.value) for d in result.diagnostics]
    page = "content/elements/acme/authenticate.md"
    assert ("ED302", f"{page}:9:8", "error") in found
    assert ("ED302", "includes/p.md:2:8", "error") in found
    assert ("ED302", "includes/p.md:2:50", "error") in found
    assert any("site.data.glossary.nothing_here" in d.message for d in result.diagnostics)
    lax = check(root, strict=False)
    assert {d.level.value for d in lax.diagnostics} == {"warning"}


def test_conditionals_and_default_do_not_report_absent_keys(make_project):
    root = make_project(
        {
            "content/elements/acme/authenticate.md": PAGE_HEAD
            + "{% if page.apiKey %}{{ page.apiKey }}{% endif %}"
            "{{ page.scopes | default('none') }}\n"
        }
    )
    result = check(root)
    assert codes(result) == []
    assert "none" in result.rendered.text


@pytest.mark.parametrize(
    ("tag", "code", "words"),
    [
        ("{% include nope.md %}", "ED303", "unknown partial 'nope.md'"),
        ("{% include ../mkdocs.yml %}", "ED304", "leaves includes/"),
        ("{% include /etc/passwd %}", "ED304", "leaves includes/"),
        ("{% include https://example.org/x.md %}", "ED304", "not a path inside includes/"),
        ('{% include note.md content="unterminated %}', "ED308", "include parameter"),
    ],
)
def test_refused_includes_name_the_problem_at_the_tag(make_project, tag, code, words):
    root = make_project(
        {
            "content/elements/acme/authenticate.md": PAGE_HEAD + "\n" + tag + "\n",
            "includes/note.md": "n",
        }
    )
    result = check(root)
    assert [d.code for d in result.diagnostics] == [code]
    diagnostic = result.diagnostics[0]
    assert words in diagnostic.message
    assert (diagnostic.location.path, diagnostic.location.line) == (
        "content/elements/acme/authenticate.md",
        9,
    )


def test_unknown_partial_suggests_the_closest_name(make_project):
    root = make_project(
        {
            "content/elements/acme/authenticate.md": PAGE_HEAD
            + "{% include Elements/acme/authentcate.md %}\n",
            "includes/Elements/acme/authenticate.md": "x",
        }
    )
    (diagnostic,) = check(root).diagnostics
    assert "did you mean 'Elements/acme/authenticate.md'" in diagnostic.hint


def test_symlink_leaving_includes_is_refused(make_project, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("top secret")
    root = make_project(
        {"content/elements/acme/authenticate.md": PAGE_HEAD + "{% include link.md %}\n"}
    )
    (root / "includes" / "link.md").symlink_to(outside)
    result = check(root)
    assert codes(result) == ["ED304"]
    assert "top secret" not in result.rendered.text


def test_include_cycle_is_reported_with_the_whole_chain(make_project):
    root = make_project(
        {
            "content/elements/acme/authenticate.md": PAGE_HEAD + "{% include a.md %}\n",
            "includes/a.md": "A\n{% include b.md %}\n",
            "includes/b.md": "B\n{% include a.md %}\n",
        }
    )
    (diagnostic,) = check(root).diagnostics
    assert diagnostic.code == "ED305"
    assert "a.md -> b.md -> a.md" in diagnostic.message
    assert str(diagnostic.location) == "includes/b.md:2"
    assert [str(c) for c in diagnostic.included_from] == [
        "includes/a.md:2",
        "content/elements/acme/authenticate.md:8",
    ]


def test_runaway_include_depth_is_bounded(make_project):
    files = {f"includes/d{i}.md": f"{{% include d{i + 1}.md %}}" for i in range(40)}
    files["content/elements/acme/authenticate.md"] = PAGE_HEAD + "{% include d0.md %}\n"
    result = check(make_project(files))
    assert codes(result) == ["ED306"]


@pytest.mark.parametrize(
    "expression",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ page.__class__ }}",
        "{{ self._TemplateReference__context }}",
        "{{ ''['__class__'] }}",
    ],
)
def test_sandbox_refuses_python_internals(make_project, expression):
    root = make_project({"content/elements/acme/authenticate.md": PAGE_HEAD + expression + "\n"})
    result = check(root)
    assert codes(result) and set(codes(result)) <= {"ED307", "ED302", "ED309"}
    assert "class" not in result.rendered.text.lower() or "ED307" in codes(result)
    assert "<built-in" not in result.rendered.text and "function" not in result.rendered.text


def test_syntax_error_in_a_partial_points_at_the_partial_line(make_project):
    root = make_project(
        {
            "content/elements/acme/authenticate.md": PAGE_HEAD + "{% include p.md %}\n",
            "includes/p.md": "fine\nfine\n{% if page.x %}\nnever closed\n",
        }
    )
    (diagnostic,) = check(root).diagnostics
    assert diagnostic.code == "ED301"
    assert diagnostic.location.path == "includes/p.md"
    assert diagnostic.location.line in (3, 4, 5)


def test_template_syntax_is_expanded_inside_code_fences_in_list_items(make_project):
    root = make_project(
        {
            "content/elements/acme/authenticate.md": PAGE_HEAD
            + '1. Body:\n\n    ```json\n    {"key": "{{ page.elementKey }}"}\n'
            "    ```\n"
        }
    )
    assert '    {"key": "acmecrm"}' in check(root).rendered.text


def test_raw_blocks_keep_template_syntax_literal(make_project):
    root = make_project(
        {
            "content/elements/acme/authenticate.md": PAGE_HEAD
            + "{% raw %}{{ not.a.variable }}{% endraw %}\n"
        }
    )
    result = check(root)
    assert codes(result) == []
    assert "{{ not.a.variable }}" in result.rendered.text


def test_runaway_loops_are_stopped(make_project):
    root = make_project(
        {
            "content/elements/acme/authenticate.md": PAGE_HEAD
            + "{% for i in range(100000) %}{% for j in range(100000) %}"
            "{% endfor %}{% endfor %}\n{{ 'x' * 100000000 }}\n"
        }
    )
    project = Project(load_settings(root))
    object.__setattr__(project.settings, "max_render_seconds", 1.0)
    project.load_all()
    result = project.check_page(root / "content/elements/acme/authenticate.md")
    assert codes(result) == ["ED310"]


SKELETON_CASES = [
    "plain text only\n",
    "a {{ page.heading }} b\n{% if page.hub %}hub {{ page.hub }}{% endif %}\n",
    "{%- if true -%}\n  trimmed  \n{%- endif -%}\nafter\n",
    "x {{- ' y ' -}} z\n\n{# comment with }} inside #}\nend",
    "{% raw %}{{ literal }} {% tag %}{% endraw %}\n{%- raw -%}  spaced  {%- endraw -%}  q\n",
    "{{ '%}' ~ \"}}\" }} and {{ '{{' }}\n",
    "{% for i in [1, 2, 3] %}item {{ i }}\n{% endfor %}\n",
    "{% set block %}cap {{ page.elementKey }}{% endset %}{{ block | upper }}\n",
    "{% include a.md %}\nlast line without newline",
    "trailing newlines\n\n\n",
    # string literals inside tags are lifted out of the skeleton: same output either way
    '{{ "a" "b" }} {{ \'c\' ~ "d" }} {{ "e\\"f" }} {{ \'g\\\'h\' }}\n',
    '{% set d = {"k": "v", \'n\': 2} %}{{ d["k"] }}{{ d.n }}\n'
    '{% if page.hub == "crm" %}crm{% endif %}{{ "{{ not a tag }}" | upper }}\n',
    "{% include b.md content=\"Send <b>both</b>\" kind='tip' %}\n"
    '{% include b.md content="other" kind=page.hub %}\n',
]


@pytest.mark.parametrize("body", SKELETON_CASES)
def test_skeleton_fast_path_renders_exactly_like_a_full_compile(make_project, body):
    root = make_project(
        {
            "content/page.md": body,
            "includes/a.md": "A {{ page.hub }}\n",
            "includes/b.md": '<p class="{{ include.kind }}">{{ include.content }}'
            "</p>\n{% include a.md %}\nB {{ 'x' }}\n",
        }
    )
    project = Project(load_settings(root))
    project.load_all()
    doc, _ = project.documents[(root / "content/page.md").resolve()]
    context = {"heading": "H", "hub": "crm", "elementKey": "k"}
    fast = project.renderer.render(doc.body, doc.rel, 1, context)
    full = project.renderer.render(doc.body, doc.rel, 1, context, fast=False)
    assert fast.text == full.text
    assert fast.origins == full.origins
    assert fast.diagnostics == full.diagnostics


# --- an index past the end of a list (issue: check died in column_of) --------------------

LINKS_PAGE = (
    "---\ntitle: Guide\n---\n# Guide\n\n"
    '{% include links.html names="a,b,c" links="x" %}\n\nAfter.\n'
)


@pytest.mark.parametrize(
    ("jekyll", "partial"),
    [
        (
            True,  # Liquid, as the Jekyll tree wrote it
            "{% assign names = include.names | split: ',' %}{% assign links = include.links | "
            "split: ',' %}\n{% for name in names %}\n<a href=\"{{ links[forloop.index0] }}\">"
            "{{ name }}</a>\n{% endfor %}\n",
        ),
        (
            False,  # the same in Jinja, in a project
            "{% set names = include.names.split(',') %}{% set links = include.links.split(',') %}\n"
            '{% for name in names %}\n<a href="{{ links[loop.index0] }}">{{ name }}</a>\n'
            "{% endfor %}\n",
        ),
    ],
)
def test_a_loop_counter_past_the_end_of_a_list_is_reported_not_a_crash(
    tmp_path, make_project, jekyll, partial
) -> None:
    import json

    from conftest import run_cli, write_tree

    other = "---\ntitle: Other\n---\n{{ page.nope }}\n"
    if jekyll:
        root = write_tree(
            tmp_path / "site",
            {
                "_config.yml": "title: T\n",
                "_includes/links.html": partial,
                "guide.md": LINKS_PAGE,
                "other.md": other,
            },
        )
        result = run_cli("check", "--format", "json", "--jekyll", str(root), cwd=tmp_path)
        partial_path, other_path = "_includes/links.html", "other.md"
    else:
        root = make_project(
            {
                "includes/links.html": partial,
                "content/guide.md": LINKS_PAGE,
                "content/other.md": other,
            }
        )
        result = run_cli("check", "--format", "json", cwd=root)
        partial_path, other_path = "includes/links.html", "content/other.md"
    assert "Traceback" not in result.stderr and result.returncode == 1, result.stderr
    found = sorted(
        (d["code"], d["path"], d["line"], d["message"])
        for d in json.loads(result.stdout)["diagnostics"]
    )
    assert found == sorted(
        [
            ("ED302", partial_path, 3, "item 1 does not exist (the list has 1 item)"),
            ("ED302", partial_path, 3, "item 2 does not exist (the list has 1 item)"),
            ("ED302", other_path, 4, "'page.nope' is undefined"),
        ]
    )
