"""The rendered Autotask CRM page carries everything seed 003 (the page as readers saw it)
shows: compared structurally (headings, steps, parsed code blocks, parameter rows), not as
a snapshot of our prose."""

from __future__ import annotations

import json
import re

import pytest
from conftest import REPO, seed
from markdown_it import MarkdownIt

from generator import Project, load_settings
from generator.extract.curl import parse_curl


@pytest.fixture(scope="module")
def seed_text() -> str:
    return seed("003")


@pytest.fixture(scope="module")
def rendered() -> str:
    project = Project(load_settings(REPO))
    project.load_all()
    result = project.check_page(REPO / "content/elements/autotask-crm/authenticate.md")
    assert [d for d in result.diagnostics if d.is_error] == []
    return result.rendered.text


def tokens(markdown: str) -> list:
    return MarkdownIt("commonmark").enable("table").parse(markdown)


def headings(markdown: str) -> list[str]:
    toks = tokens(markdown)
    return [toks[i + 1].content for i, t in enumerate(toks) if t.type == "heading_open"]


def seed_json_objects(text: str) -> list[dict]:
    decoder = json.JSONDecoder()
    found = []
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        if lines[index].strip() == "{":
            chunk = "\n".join(lines[index:])
            try:
                value, end = decoder.raw_decode(chunk.lstrip())
            except json.JSONDecodeError:
                index += 1
                continue
            found.append(value)
            index += chunk.lstrip()[:end].count("\n") + 1
        else:
            index += 1
    return found


def seed_curl(text: str) -> str:
    start = text.index("curl -X POST")
    end = text.index("}'", start) + 2
    return text[start:end]


def test_headings_follow_the_seed(rendered, seed_text):
    ours = headings(rendered)
    seed_lines = [line.strip() for line in seed_text.split("\n")]
    in_seed = [h for h in ours if h in seed_lines]
    assert len(in_seed) >= 6
    assert in_seed == ours, "every heading we render stands as a line in the seed"
    assert [seed_lines.index(h) for h in in_seed] == sorted(seed_lines.index(h) for h in in_seed)


def test_numbered_steps_match_the_seed(rendered, seed_text):
    seed_lists: list[list[str]] = []
    previous = 0
    for line in seed_text.split("\n"):
        match = re.match(r"\s+(\d+)\. ", line)
        if match:
            number = int(match.group(1))
            if number == 1 or number <= previous:
                seed_lists.append([])
            seed_lists[-1].append(line)
            previous = number
    ours: list[int] = []
    depth = 0
    for token in tokens(rendered):
        if token.type == "ordered_list_open":
            depth += 1
            if depth == 1:
                ours.append(0)
        elif token.type == "ordered_list_close":
            depth -= 1
        elif token.type == "list_item_open" and depth == 1:
            ours[-1] += 1
    assert ours == [len(items) for items in seed_lists] == [6, 3]


def test_request_body_curl_and_response_equal_the_seed(rendered, seed_text):
    seed_request, seed_response = seed_json_objects(seed_text.replace(seed_curl(seed_text), ""))
    blocks = [t for t in tokens(rendered) if t.type in ("fence", "code_block")]
    parsed = [json.loads(b.content) for b in blocks if b.content.lstrip().startswith("{")]
    assert seed_request in parsed
    assert seed_response in parsed
    assert any(b.content.strip() == "POST /instances" for b in blocks)
    assert "POST /instances" in seed_text
    ours = parse_curl(next(b.content for b in blocks if b.content.startswith("curl")))
    theirs = parse_curl(seed_curl(seed_text))
    assert (ours.effective_method, ours.url) == (theirs.effective_method, theirs.url)
    assert [(n, v) for n, v, _ in ours.headers] == [(n, v) for n, v, _ in theirs.headers]
    assert json.loads(ours.data.text) == json.loads(theirs.data.text)


def test_parameter_rows_match_the_seed(rendered, seed_text):
    section = seed_text[
        seed_text.index("\nParameters\n") : seed_text.index("Example Response for an Authenticated")
    ]
    seed_rows = len(re.findall(r"(?m)\bstring$", section))
    table = next(i for i, t in enumerate(tokens(rendered)) if t.type == "table_open")
    toks = tokens(rendered)[table:]
    rows: list[tuple[str, list[str]]] = []
    in_body = False
    cell_index = 0
    for token in toks:
        if token.type == "tbody_open":
            in_body = True
        elif token.type == "tr_open":
            cell_index = 0
        elif token.type == "inline" and in_body:
            if cell_index == 0:
                label = re.sub(r"<br>.*|`[^`]*`", "", token.content).strip()
                codes = [c.content for c in token.children if c.type == "code_inline"]
                rows.append((label, codes))
            cell_index += 1
        elif token.type == "table_close":
            break
    assert len(rows) == seed_rows == 6
    seed_lines = {line.strip() for line in section.split("\n")}
    for label, codes in rows:
        assert codes, f"row {label!r} has no API name"
        for code in codes:
            assert code in seed_lines or any(line.startswith(code + " ") for line in seed_lines), (
                code
            )
        if label:
            assert label in seed_lines, label
