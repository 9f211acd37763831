"""The quick way of checking examples reports exactly what the plain way reports.

Checking an example asks a quick validator (jsonschema-rs) first whether it is valid
(jsonschema collects the errors only when it is not), and reads a cURL -d
body with json.loads, working out where its parts are written only for a diagnostic. None
of that may change a diagnostic: its code, message, file, line, column, hint or order. The
plain way (``SchemaStore.fast = False``) is kept as the reference.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import MINIMAL_MKDOCS, TESTS, copy_repo_project, write_tree
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema.exceptions import ValidationError

from generator import Diagnostic, Project, load_settings
from generator.extract.curl import parse_curl
from generator.extract.jsonlocate import MAX_DEPTH, JSONLocateError, parse, parse_lazily
from generator.validate.schemas import SchemaStore, load_schemas, rs_validity

FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
CHECK_CASES = sorted((TESTS / "validate" / "check_cases").glob("*.yml"))


def check_pages(root: Path, fast: bool, reverse: bool = False) -> dict[str, list[Diagnostic]]:
    """Every page's diagnostics, in the order the page reports them, all pages checked by
    one project (so whatever the quick way remembers carries from page to page)."""
    project = Project(load_settings(root), use_cache=False)
    project.schemas.fast = fast
    project.load_all()
    pages = sorted(project.documents, reverse=reverse)
    return {p.relative_to(root).as_posix(): project.check_page(p).diagnostics for p in pages}


def assert_fast_is_plain(root: Path) -> dict[str, list[Diagnostic]]:
    plain = check_pages(root, fast=False)
    assert check_pages(root, fast=True) == plain
    assert check_pages(root, fast=True, reverse=True) == plain
    return plain


def shown(diagnostics: list[Diagnostic]) -> list[str]:
    return [f"{d.location} {d.code} {d.message}" for d in diagnostics]


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "project"
    (root / "content").mkdir(parents=True)
    (root / "includes").mkdir()
    (root / "mkdocs.yml").write_text(MINIMAL_MKDOCS, encoding="utf-8")
    return write_tree(root, files)


# --- whole projects: the repository's own content and the check cases ----------------------


def test_the_repository_content_gives_the_same_diagnostics(tmp_path: Path) -> None:
    assert_fast_is_plain(copy_repo_project(tmp_path))


# Small slips in the repository's pages and partials: wrong types, missing and unknown keys,
# a float for an integer, a stray key, a wrong method, a bad front-matter value.
SLIPS = [
    ('"id": 12345,', '"id": "12345",'),
    ('"valid": true', '"valid": 1'),
    ('"disabled": false', '"disabled": 0'),
    ('"name": "API Instance"', '"name": 1'),
    ('"id": 12345\n', '"id": 12345.5\n'),
    ('"token": ', '"tokn": '),
    ('"key": "', '"key": 7, "kee": "'),
    ("elementId: ", "elementId: x"),
    ("-X POST", "-X PUT"),
    ('"configuration": {', '"configuration": {"bad key!": [1], '),
]


def test_the_repository_content_with_slips_gives_the_same_diagnostics(tmp_path: Path) -> None:
    root = copy_repo_project(tmp_path)
    pages = sorted([*(root / "content").rglob("*.md"), *(root / "includes").rglob("*.md")])
    for number, page in enumerate(pages):
        text = page.read_text(encoding="utf-8")
        for old, new in SLIPS[number % 3 :: 2]:
            text = text.replace(old, new, 1)
        page.write_text(text, encoding="utf-8")
    found = assert_fast_is_plain(root)
    codes = {d.code for diagnostics in found.values() for d in diagnostics}
    assert {"ED211", "ED103"} <= codes, codes  # the slips are seen at all


def test_two_processes_load_and_check_what_one_process_does(tmp_path: Path, monkeypatch) -> None:
    """``check --jobs 2`` reads front matter and checks pages in forked workers: the pages
    loaded, the catalog and every diagnostic are those of one process."""
    import generator.pipeline.project as pipeline

    root = copy_repo_project(tmp_path)
    # one broken partial that pages include after different first partials: its problem is
    # reported once, listing the pages in the same order either way
    write_tree(
        root,
        {
            "includes/zz-first.md": "Z\n",
            "includes/aa-first.md": "A\n",
            "includes/broken.md": "{{ page.nothing_here }}\n",
            "content/p-one.md": "---\ntitle: One\n---\n\n{% include zz-first.md %}\n"
            "{% include broken.md %}\n",
            "content/p-two.md": "---\ntitle: Two\n---\n\n{% include aa-first.md %}\n"
            "{% include broken.md %}\n",
        },
    )
    pages = sorted((root / "content").rglob("*.md"))
    for number, page in enumerate(pages):
        text = page.read_text(encoding="utf-8")
        for old, new in SLIPS[number % 3 :: 2]:
            text = text.replace(old, new, 1)
        page.write_text(text, encoding="utf-8")
    monkeypatch.setattr(pipeline, "PARALLEL_CHUNK", 1)
    monkeypatch.setattr(pipeline, "LOAD_CHUNK", 1)
    used = []
    for method in ("_load_parallel", "_check_parallel"):
        real = getattr(pipeline.Project, method)
        monkeypatch.setattr(
            pipeline.Project,
            method,
            lambda self, *a, _real=real, _name=method: (used.append(_name), _real(self, *a))[1],
        )
    one = Project(load_settings(root), use_cache=False)
    two = Project(load_settings(root), use_cache=False)
    alone = one.check(jobs=1)
    assert used == []
    together = two.check(jobs=2)
    assert used == ["_load_parallel", "_check_parallel"]
    assert len(pages) >= 4 and together.pages == alone.pages
    assert together.diagnostics == alone.diagnostics
    assert {d.code for d in alone.diagnostics} >= {"ED211", "ED103", "ED302"}
    broken = [
        d.pages for d in alone.diagnostics if d.location and d.location.path == "includes/broken.md"
    ]
    assert broken == [["content/p-one.md", "content/p-two.md"]]
    assert two.documents == one.documents and two.elements == one.elements
    assert all(doc.settings is two.settings for doc, _ in two.documents.values() if doc)


@pytest.mark.parametrize(("edited_groups", "forked"), [(3, []), (8, [60])])
def test_after_an_edit_only_the_pages_to_render_are_rendered_and_the_rest_comes_from_the_cache(
    tmp_path: Path, monkeypatch, edited_groups: int, forked: list[int]
) -> None:
    """A check with workers after an edit of partials that tens of pages include: it
    reports what a check without any cache reports, and the workers get the pages to
    render only (none when there are fewer than SERIAL_MISSES left to render), not the
    thousands of pages the cache answers."""
    import generator.pipeline.project as pipeline

    files = {}
    for group in range(25):
        files[f"includes/group-{group:02}.md"] = (
            f'Group {group}.\n\n```json\n{{"id": {group},}}\n```\n'  # ED210
        )
        for number in range(10):
            files[f"content/g{group:02}-p{number}.md"] = (
                f"---\ntitle: Page {group}-{number}\n---\n\n{{% include group-{group:02}.md %}}\n"
            )
    root = project(tmp_path, files)
    first = Project(load_settings(root)).check(jobs=2)
    assert first.pages == 250 and len(first.diagnostics) == 25  # one per partial
    for group in range(10, 10 + edited_groups):  # in the middle of the pages' order
        partial = root / f"includes/group-{group:02}.md"
        partial.write_text(partial.read_text().replace(",}", "}"), encoding="utf-8")
    sizes: list[int] = []
    real = pipeline.forked_map

    def counting(project: Any, work: Any, chunks: list[list[Path]], jobs: int) -> Any:
        sizes.append(sum(len(chunk) for chunk in chunks))
        return real(project, work, chunks, jobs)

    monkeypatch.setattr(pipeline, "forked_map", counting)
    again = Project(load_settings(root)).check(jobs=2)
    clean = Project(load_settings(root), use_cache=False).check(jobs=1)
    assert again.diagnostics == clean.diagnostics
    assert len(again.diagnostics) == 25 - edited_groups
    # SERIAL_MISSES (20) pages rendered before the workers, the rest of the edited ones after
    assert sizes == forked


@pytest.mark.parametrize("case_file", CHECK_CASES, ids=[c.stem for c in CHECK_CASES])
def test_check_cases_give_the_same_diagnostics(case_file: Path, tmp_path: Path) -> None:
    case = yaml.safe_load(case_file.read_text(encoding="utf-8"))
    found = assert_fast_is_plain(project(tmp_path, case["files"]))
    assert sum(len(d) for d in found.values()) == len(case["expect"])


# --- what was valid before must not hide an error now --------------------------------------

HEAD = (
    "---\nheading: Acme CRM\ntitle: Authenticate\nelementId: 7\nelementKey: acmecrm\n"
    "hub: crm\n---\n\n"
)
RESPONSE = """```json
{
  "id": 12345,
  "name": "API Instance",
  "token": "ABC/Dxxxx",
  "element": {"id": 7, "name": "Acme", "key": "acmecrm"},
  "valid": true,
  "disabled": false
}
```
"""


def test_an_error_is_found_after_the_same_example_was_valid_on_other_pages(tmp_path: Path) -> None:
    valid = HEAD + RESPONSE
    files = {f"content/elements/a{n}/authenticate.md": valid for n in range(3)}
    files["content/elements/b/authenticate.md"] = HEAD + RESPONSE.replace(
        '"valid": true', '"valid": 1'
    ).replace('"id": 12345', '"id": 12345.5')
    files["content/elements/c/authenticate.md"] = HEAD + RESPONSE.replace(
        '"disabled": false', '"disabled": "false"'
    )
    found = check_pages(project(tmp_path, files), fast=True)
    assert shown(found["content/elements/b/authenticate.md"]) == [
        "content/elements/b/authenticate.md:11:9 ED211 $.id: expected an integer, "
        "got number 12345.5 (instance-response schema)",
        "content/elements/b/authenticate.md:15:12 ED211 $.valid: expected a boolean, "
        "got integer 1 (instance-response schema)",
    ]
    assert shown(found["content/elements/c/authenticate.md"]) == [
        "content/elements/c/authenticate.md:16:15 ED211 $.disabled: expected a "
        "boolean, got string 'false' (instance-response schema)",
    ]
    assert all(not found[f"content/elements/a{n}/authenticate.md"] for n in range(3))


def test_identical_request_bodies_sent_in_parts_are_checked_each_time(tmp_path: Path) -> None:
    """The same partial on several pages: the pages that break it are reported, at the line
    of the partial, and the pages before and after them stay clean."""
    partial = """```json
{
  "element": {"key": "{{ page.elementKey }}"},
  "configuration": {"crm.acme.username": "<USER>", "crm.acme.retries": {{ include.retries }}},
  "name": "<INSTANCE_NAME>"
}
```
"""
    files = {"includes/Elements/acme/request.md": partial}
    pages = {"a": "3", "b": "3.0", "c": "[3]", "d": "3", "e": "null", "f": "true"}
    for name, retries in pages.items():
        files[f"content/elements/{name}/authenticate.md"] = (
            HEAD + f"{{% include Elements/acme/request.md retries='{retries}' %}}\n"
        )
    root = project(tmp_path, files)
    found = check_pages(root, fast=True)
    assert found == check_pages(root, fast=False)
    where = 'includes/Elements/acme/request.md:4:3 ED211 $.configuration["crm.acme.retries"]'
    wanted = "expected a string or number or boolean, got"
    assert {name: shown(found[f"content/elements/{name}/authenticate.md"]) for name in pages} == {
        "a": [],
        "b": [],
        "d": [],
        "f": [],
        "c": [f"{where}: {wanted} array [3] (instance-request schema)"],
        "e": [f"{where}: {wanted} null None (instance-request schema)"],
    }
    for name in "ce":
        assert found[f"content/elements/{name}/authenticate.md"][0].included_from


def test_key_order_and_number_types_are_told_apart(tmp_path: Path) -> None:
    """1, 1.0 and true are different JSON; so are two orders of the same stray keys."""
    blocks = []
    for element_id in ("7", "7.0", "true", "7.5", "7"):
        blocks.append(RESPONSE.replace('"id": 7,', f'"id": {element_id},'))
    for extra in ('"zzz": 1, "yyy": 2', '"yyy": 2, "zzz": 1'):
        blocks.append(RESPONSE.replace('"key": "acmecrm"}', f'"key": "acmecrm", {extra}}}'))
    root = project(tmp_path, {"content/elements/a/authenticate.md": HEAD + "\n".join(blocks)})
    page = check_pages(root, fast=True)["content/elements/a/authenticate.md"]
    assert page == check_pages(root, fast=False)["content/elements/a/authenticate.md"]
    messages = [d.message for d in page if d.code == "ED211"]
    assert messages == [
        "$.element.id: expected an integer, got boolean True (instance-response schema)",
        "$.element.id: expected an integer, got number 7.5 (instance-response schema)",
    ]
    # 7.0 is an integer to JSON Schema, and so is not reported; true is not a number
    assert [d.message for d in page if d.code == "ED201"] == [
        "$.element.id is True but the page's elementId is 7"
    ]


# --- the schema store: the quick test (jsonschema-rs) against jsonschema itself -------------

WIDGET = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:test:widget",
    "$defs": {
        "count": {"type": "integer", "minimum": 0},
        "named": {
            "$id": "urn:test:named",
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string", "minLength": 2}},
        },
        "tree": {
            "type": "object",
            "unevaluatedProperties": False,
            "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/tree"}}},
        },
    },
    "type": "object",
    "properties": {
        "count": {"$ref": "#/$defs/count"},
        "owner": {"$ref": "urn:test:named"},
        "kind": {"enum": ["a", "b", 3]},
        "fixed": {"const": 1},
        "either": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        "exactly": {"oneOf": [{"type": "number"}, {"type": "integer"}]},
        "notnull": {"not": {"type": "null"}},
        "email": {"type": "string", "format": "email"},
        "tree": {"$ref": "#/$defs/tree"},
        "list": {
            "type": "array",
            "prefixItems": [{"type": "string"}],
            "items": {"type": ["boolean", "integer"]},
            "contains": {"const": True},
            "uniqueItems": True,
        },
        "flag": {"type": "boolean"},
        "plain": {},
        "bag": {
            "type": "object",
            "properties": {"a": {}},
            "unevaluatedProperties": {"type": "integer"},
        },
        "mode": {"type": "string"},
        "sub": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {"x": {"type": "integer"}},
        },
    },
    "if": {"properties": {"mode": {"const": "strict"}}, "required": ["mode"]},
    "then": {"required": ["count"]},
    "else": {"properties": {"count": {"maximum": 100}}},
    "dependentRequired": {"owner": ["kind"]},
    "unevaluatedProperties": False,
}
WIDGET_VALID = {
    "count": 3,
    "owner": {"name": "Al"},
    "kind": "a",
    "fixed": 1,
    "either": "x",
    "exactly": 1.5,
    "notnull": 0,
    "email": "a@b.co",
    "tree": {"kids": [{"kids": []}]},
    "list": ["s", True, 2],
    "flag": False,
    "plain": None,
    "mode": "strict",
    "sub": {"x": 1},
}
LEAVES = [
    0,
    1,
    1.0,
    -0.0,
    7.5,
    101,
    60,
    -1,
    True,
    False,
    None,
    "",
    "x",
    "ab",
    "Ab",
    "abcd",
    "strict",
    "loose",
    "a",
    [1],
    {"x": 1},
    ["s"],
    {"x": "y"},
    {"X": "y"},
    "a@b.co",
    "nope",
    [],
    {},
    [True],
    ["s", True, True],
    {"name": "A"},
    {"kids": [{"z": 1}]},
    # read differently by Python's regular expressions and ECMA-262's, and by float
    # division: the quick test must still agree with jsonschema
    "\u0663",
    "12",
    "\ufeff",
    " ",
    "a\n",
    "ab\n",
    0.3,
    0.7,
    0.5,
]


def store_with_widget() -> SchemaStore:
    store = load_schemas(None)
    store.add("widget", json.dumps(WIDGET), "schemas/widget.schema.json")
    assert not store.diagnostics
    return store


def summary(errors: list[ValidationError]) -> list[tuple[Any, ...]]:
    return [
        (
            e.message,
            list(e.absolute_path),
            list(e.absolute_schema_path),
            e.validator,
            repr(e.instance),
        )
        for e in errors
    ]


def plain_errors(store: SchemaStore, name: str, instance: Any) -> list[tuple[Any, ...]]:
    validator = store.get(name)
    assert validator is not None
    return summary(list(validator.iter_errors(instance)))


def test_every_shipped_schema_and_a_rich_one_get_a_quick_test() -> None:
    store = store_with_widget()
    for name, validator in store.validators.items():
        assert rs_validity(validator, store.resources[name]) is not None, name
    widget = rs_validity(store.validators["widget"], store.resources["widget"])
    assert widget is not None
    assert widget(WIDGET_VALID)
    assert not widget({**WIDGET_VALID, "flag": 0})


def test_every_shipped_schema_is_a_valid_json_schema() -> None:
    """A run does not check the package's own schemas against the meta-schema (it costs a
    repeated check a good part of its time): this test does, for every one of them."""
    from jsonschema import Draft202012Validator

    from generator.load.schema_files import packaged_schema_files

    shipped = packaged_schema_files()
    assert shipped
    for text in shipped.values():
        Draft202012Validator.check_schema(json.loads(text))
    store = load_schemas(None)
    assert not store.diagnostics
    assert set(shipped) <= set(store.validators)


def test_a_schema_with_pattern_properties_is_checked_by_jsonschema_alone() -> None:
    """jsonschema-rs would match the keys by ECMA-262's rules, not Python's: no quick test,
    and the errors are jsonschema's."""
    store = store_with_widget()
    patterned = {
        **WIDGET,
        "$id": "urn:test:patterned",
        "patternProperties": {"^x-\\d$": {"type": "string"}},
    }
    store.add("patterned", json.dumps(patterned), "schemas/patterned.schema.json")
    assert rs_validity(store.validators["patterned"], store.resources["patterned"]) is None
    for instance in (
        {**WIDGET_VALID, "x-1": "n"},
        {**WIDGET_VALID, "x-\u0663": 1},
        {**WIDGET_VALID, "x-1": 1},
    ):
        assert summary(store.errors("patterned", instance)) == plain_errors(
            store, "patterned", instance
        )


@pytest.mark.parametrize(
    "name, field, values",
    [
        ("instance-request", "disabled", [True, 1, 1.0, False, 0, "true", None, True]),
        ("instance-response", "id", [1, 1.0, True, 1.5, "1", 2, -0.0, 0, False]),
        ("widget", "fixed", [1, 1.0, True, 1, -0.0, 0, "1"]),
        ("widget", "kind", [3, 3.0, "a", True, "c", 3]),
        ("widget", "list", [["s", 1], ["s", True], ["s", True, True], ["s", 1, True], [1, True]]),
    ],
)
def test_values_equal_in_python_but_not_in_json_are_told_apart(
    name: str, field: str, values: list[Any]
) -> None:
    store = store_with_widget()
    bases = {
        "instance-request": {"element": {"key": "k"}, "configuration": {}, "name": "n"},
        "instance-response": {
            "id": 1,
            "name": "n",
            "token": "t",
            "element": {"id": 1, "key": "k", "name": "n"},
        },
        "widget": WIDGET_VALID,
    }
    for value in values:  # in this order, each after the others were remembered
        instance = {**bases[name], field: value}
        assert summary(store.errors(name, instance)) == plain_errors(store, name, instance), (
            field,
            value,
        )


def test_the_order_of_stray_keys_is_kept() -> None:
    store = store_with_widget()
    first = {"element": {"key": "k", "zzz": 1, "yyy": 2}, "configuration": {}, "name": "n"}
    second = {"element": {"key": "k", "yyy": 2, "zzz": 1}, "configuration": {}, "name": "n"}
    one = summary(store.errors("instance-request", first))
    other = summary(store.errors("instance-request", second))
    assert one == plain_errors(store, "instance-request", first)
    assert other == plain_errors(store, "instance-request", second)
    assert one[0][0] == other[0][0]  # jsonschema sorts these names itself
    # ... but lists what "unevaluatedProperties" finds invalid in the instance's own order
    first = {**WIDGET_VALID, "bag": {"z": "s", "y": "s"}}
    second = {**WIDGET_VALID, "bag": {"y": "s", "z": "s"}}
    one = summary(store.errors("widget", first))
    other = summary(store.errors("widget", second))
    assert one == plain_errors(store, "widget", first)
    assert other == plain_errors(store, "widget", second)
    assert "('z', 'y' were unevaluated and invalid)" in one[0][0]
    assert "('y', 'z' were unevaluated and invalid)" in other[0][0]


def mutate(value: Any, data: st.DataObject) -> Any:
    """``value`` with one part replaced, removed or added somewhere inside it."""
    if isinstance(value, dict) and value and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(value)))
        action = data.draw(st.sampled_from(["replace", "remove", "deeper", "add"]))
        if action == "remove":
            return {k: v for k, v in value.items() if k != key}
        if action == "add":
            new_key = data.draw(st.sampled_from(["zzz", "x-1", "kids", key, "name", "mode"]))
            return {**value, new_key: data.draw(st.sampled_from(LEAVES))}
        if action == "deeper":
            return {**value, key: mutate(value[key], data)}
        return {**value, key: data.draw(st.sampled_from(LEAVES))}
    if isinstance(value, list) and value and data.draw(st.booleans()):
        index = data.draw(st.integers(0, len(value) - 1))
        return [*value[:index], mutate(value[index], data), *value[index + 1 :]]
    return data.draw(st.sampled_from(LEAVES)) if data.draw(st.booleans()) else value


SHARED_STORE = store_with_widget()  # one store for every example: what it remembers carries
STARTS = {
    "widget": WIDGET_VALID,
    "instance-request": {
        "element": {"key": "k", "id": 1},
        "name": "n",
        "configuration": {
            "oauth.api.key": "k",
            "oauth.api.secret": "s",
            "oauth.callback.url": "u",
            "a.b": 1,
        },
        "providerData": {"code": "c"},
        "tags": ["t"],
        "disabled": False,
    },
    "instance-response": {
        "id": 1,
        "name": "n",
        "token": "t",
        "createdDate": "2017-08-07T18:46:38Z",
        "element": {"id": 1, "key": "k", "name": "n", "active": True},
        "tags": ["Docs"],
        "configuration": {},
        "user": {"id": 1},
    },
    "front-matter": {
        "heading": "Acme",
        "title": "Authenticate",
        "elementId": 7,
        "elementKey": "acme",
        "hub": "crm",
        "order": 20,
    },
    "oauth-url-response": {"oauthUrl": "https://x", "element": "acme"},
}


@FUZZ
@given(st.sampled_from(sorted(STARTS)), st.data())
def test_the_quick_way_agrees_with_jsonschema_on_any_instance(
    name: str, data: st.DataObject
) -> None:
    instance = STARTS[name]
    for _ in range(data.draw(st.integers(0, 3))):
        instance = mutate(instance, data)
    assert summary(SHARED_STORE.errors(name, instance)) == plain_errors(
        SHARED_STORE, name, instance
    )


# A schema of the common keywords, with patterns and a multipleOf that Python and ECMA-262
# (or exact and float arithmetic) read differently, and $refs to another project schema.
GADGET = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "gadget",
    "title": "t",
    "type": "object",
    "required": ["count", "name"],
    "properties": {
        "count": {"type": "integer", "minimum": 0, "maximum": 100},
        "ratio": {"type": ["number", "null"], "multipleOf": 0.1},
        "name": {"type": "string", "minLength": 1, "maxLength": 3, "pattern": "^[a-z]"},
        "digits": {"type": "string", "pattern": "^\\d+$"},
        "blank": {"pattern": "^\\s*$"},
        "word": {"pattern": "^\\w+$"},
        "kind": {"enum": ["a", 1, True, None, [1], {"x": 1}]},
        "fixed": {"const": 1},
        "list": {
            "type": "array",
            "items": {"type": ["string", "boolean"]},
            "minItems": 1,
            "maxItems": 2,
        },
        "none": {"type": "array", "items": False},
        "bag": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "propertyNames": {"pattern": "^[a-z]+$"},
        },
        "mode": {"type": "string"},
        "owner": {"$ref": "widget.schema.json#/$defs/named"},
        "flag": True,
        "never": False,
    },
    "additionalProperties": False,
    "if": {"properties": {"mode": {"const": "strict"}}, "required": ["mode"]},
    "then": {"required": ["ratio"]},
    "else": {"properties": {"count": {"maximum": 50}}},
}
GADGET_VALID = {
    "count": 3,
    "name": "ab",
    "kind": "a",
    "fixed": 1,
    "list": ["s", True],
    "none": [],
    "bag": {"x": "y"},
    "mode": "loose",
    "flag": 0,
    "digits": "12",
    "blank": " ",
    "word": "ab",
    "ratio": 0.5,
    "owner": {"name": "Al"},
}


def test_the_quick_test_reads_patterns_formats_and_multiples_as_python_does() -> None:
    store = gadget_store()
    gadget = rs_validity(store.validators["gadget"], store.resources["gadget"])
    assert gadget is not None and gadget(GADGET_VALID)
    assert not gadget({**GADGET_VALID, "count": 60})  # else: at most 50
    assert gadget({**GADGET_VALID, "count": 60, "mode": "strict", "ratio": None})
    assert not gadget({**GADGET_VALID, "owner": {"name": "A"}})  # by $ref, in widget
    # Python's \d takes any digit, \s does not take U+FEFF, $ takes a final newline
    for field, value in (
        ("digits", "\u0663"),
        ("blank", "\ufeff"),
        ("name", "ab\n"),
        ("ratio", 0.3),
    ):
        instance = {**GADGET_VALID, field: value}
        assert gadget(instance) == store.validators["gadget"].is_valid(instance), field


@FUZZ
@given(st.data())
def test_the_quick_test_agrees_with_jsonschema_on_any_instance(data: st.DataObject) -> None:
    validator = GADGET_STORE.validators["gadget"]
    gadget = rs_validity(validator, GADGET_STORE.resources["gadget"])
    assert gadget is not None
    instance: Any = GADGET_VALID
    for _ in range(data.draw(st.integers(0, 4))):
        instance = mutate(instance, data)
    assert gadget(instance) == validator.is_valid(instance), instance


def gadget_store() -> SchemaStore:
    """The shipped schemas, and widget and gadget (which refers to widget) added together."""
    store = load_schemas(None)
    store.add_all(
        [
            (name, json.dumps(schema), f"schemas/{name}.schema.json", False)
            for name, schema in (("widget", WIDGET), ("gadget", GADGET))
        ]
    )
    assert not store.diagnostics
    return store


GADGET_STORE = gadget_store()


# --- the cURL -d body, read with json.loads first -------------------------------------------

JSONISH = " \t\n{}[],:\"\\/*0123456789.eE+-truefalsnul'xNIa"
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def near_json(draw: st.DrawFn) -> str:
    text = json.dumps(draw(json_values), indent=draw(st.sampled_from([None, 1, "\t"])))
    for _ in range(draw(st.integers(0, 3))):
        index = draw(st.integers(0, len(text)))
        text = text[:index] + draw(st.sampled_from(JSONISH)) + text[index + 1 :]
    return text


def read(reader: Any, text: str) -> Any:
    try:
        located = reader(text)
    except JSONLocateError as exc:
        return ("error", exc.message, exc.line, exc.col, exc.hint)
    return (
        repr(located.value),
        json.dumps(located.value),
        located.positions,
        located.key_positions,
        located.duplicate_keys,
    )


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": [1.0, true]}',
        '"\\ud800"',
        "1E400",
        "-0.0",
        "NaN",
        "[Infinity]",
        '{"a": 01}',
        "\ufeff{}",
        '"tab\there"',
        "[" * MAX_DEPTH + "]" * MAX_DEPTH,
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        "9" * 5000,
        '{"a": 1} }',
        "",
    ],
)
def test_the_body_reader_gives_what_the_parser_gives(text: str) -> None:
    assert read(parse_lazily, text) == read(parse, text)


@FUZZ
@given(st.one_of(near_json(), st.text(alphabet=JSONISH, max_size=30)))
def test_the_body_reader_agrees_with_the_parser_on_any_text(text: str) -> None:
    lazy = read(parse_lazily, text)
    assert lazy == read(parse, text)
    if lazy[0] != "error":
        assert parse_lazily(text) == parse(text) and parse(text) == parse_lazily(text)


# --- the cURL reader: words, and where each character of them is written ----------------------

word_parts = st.one_of(
    st.text(alphabet='abcXYZ019-_./:=@{}[]",*?%+!', min_size=1, max_size=6)
    .map(lambda s: s.replace('"', ""))
    .filter(bool),
    st.text(alphabet='ab {}"\n:,\\$<>;&|()#', max_size=8).map(lambda s: f"'{s}'"),
    st.just("<PLACEHOLDER>"),
    st.just("\\ "),
    st.just('"x y"'),
)


@FUZZ
@given(
    st.lists(word_parts, min_size=1, max_size=4).map("".join),
    st.sampled_from([" ", "  ", " \\\n  ", "\t"]),
)
def test_curl_words_are_read_as_a_shell_reads_them(word: str, gap: str) -> None:
    text = f"curl -d {word}{gap}https://h/instances"
    expected = shlex.split(word)
    assert len(expected) == 1
    command = parse_curl(text)
    assert command.url == "https://h/instances"
    assert command.data is not None
    assert command.data.text == expected[0]
    # every character of the body points at a source character that shows it
    lines = text.split("\n")
    for char, (line, col) in zip(command.data.text, command.data.char_positions, strict=True):
        assert (lines[line - 1] + "\n")[col - 1] == char


@pytest.mark.parametrize(
    "tail, expected",
    [
        ('"?x=1"', "?x=1"),
        ("<ID>", "<ID>"),
        ("\\ x", " x"),
        ("'/y'", "/y"),
        ("/z", "/z"),
    ],
)
def test_long_words_followed_by_quotes_or_placeholders(tail: str, expected: str) -> None:
    """A long run of plain characters before a quote, a placeholder or a backslash is read
    in one go (a word pattern that retried every way of splitting such a run up never
    finished on 60 characters)."""
    url = "https://api.example.com/" + "a" * 60
    command = parse_curl(f"curl -X POST {url}{tail} -d '{{}}'")
    assert command.url == url + expected
    assert command.data is not None and command.data.text == "{}"


def test_curl_word_positions_after_quotes_and_continuations() -> None:
    text = "curl -X POST \\\n  https://h/x/instances \\\n  -d '{\n  \"a\": 1\n}' -H 'a: b'"
    command = parse_curl(text)
    assert command.url_arg is not None
    assert (command.url_arg.line, command.url_arg.col) == (2, 3)
    assert command.data is not None
    assert (command.data.line, command.data.col) == (3, 6)
    assert command.data.source_position(2, 3) == (4, 3)  # the "a" key
    assert [(h[0], h[1], h[2].line, h[2].col) for h in command.headers] == [("a", "b", 5, 7)]
