"""Jekyll's include syntax read by Jinja2 (an extension), and the names a page may not use."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jinja2
import jinja2.compiler
import jinja2.nodes
from jinja2.ext import Extension

from generator.render.liquid.translate import translate
from generator.render.names import SKELETON_PREFIX
from generator.render.sourcemap import END, PROBLEM, add_line_markers
from generator.render.state import marking

# {% include path params %} as Jekyll writes it; also {%- ... -%}. The path may hold {{ }}.
_INCLUDE_RE = re.compile(
    r"\{%(?P<lstrip>-?)\s*include(?P<relative>_relative)?\s+(?P<args>(?:[^%]|%(?!\}))*?)\s*"
    r"(?P<rstrip>-?)%\}",
    re.DOTALL,
)


_PARAM_RE = re.compile(
    r"\s*(?P<key>[A-Za-z_][\w-]*)\s*=\s*"
    r"(?:\"(?P<dq>(?:[^\"\\]|\\.)*)\"|'(?P<sq>(?:[^'\\]|\\.)*)'"
    r"|(?P<num>-?\d+(?:\.\d+)?)(?![\w.])|(?P<var>[A-Za-z_][\w.\-\[\]'\"]*))"
)


# dotted names whose segments hold hyphens (Liquid allows them): a.b-c -> a["b-c"]
_HYPHEN_PATH_RE = re.compile(r"(?<![\w.\"'])([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*(?:-[A-Za-z_]\w*)*)+)")


_RAW_RE = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.DOTALL)


def _jinja_string(value: str) -> str:
    """``value`` as a Jinja string literal on one line: a line break inside a tag would
    hide the lines after it from the source map (``sourcemap.scan_tags`` reads a tag's
    strings line by line), and the tag's line breaks are kept in a comment after it."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r") + '"'


def _path_expression(path: str) -> str:
    """Jinja expression for an include path that may contain {{ expr }} pieces."""
    pieces: list[str] = []
    pos = 0
    for match in re.finditer(r"\{\{\s*(.*?)\s*\}\}", path):
        if match.start() > pos:
            pieces.append(_jinja_string(path[pos : match.start()]))
        pieces.append(f"({_hyphen_paths(match.group(1))})|string")
        pos = match.end()
    if pos < len(path):
        pieces.append(_jinja_string(path[pos:]))
    return " ~ ".join(pieces) if pieces else '""'


def _hyphen_paths(expression: str) -> str:
    def subscript(match: re.Match[str]) -> str:
        segments = match.group(2).split(".")[1:]
        if not any("-" in segment for segment in segments):
            return match.group(0)
        out = match.group(1)
        for segment in segments:
            out += f'["{segment}"]' if "-" in segment else f".{segment}"
        return out

    # leave string literals alone
    parts = re.split(r"(\"[^\"]*\"|'[^']*')", expression)
    return "".join(p if i % 2 else _HYPHEN_PATH_RE.sub(subscript, p) for i, p in enumerate(parts))


class _IncludeSyntaxError(Exception):
    pass


def _parse_params(text: str) -> list[tuple[str, str]]:
    """Jekyll include parameters as (key, jinja expression)."""
    params: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _PARAM_RE.match(text, pos)
        if not match:
            rest = text[pos:].strip()
            raise _IncludeSyntaxError(f"cannot read include parameter near '{rest[:40]}'")
        key = match.group("key")
        if match.group("num") is not None:
            expr = match.group("num")  # as Jekyll: an unquoted number is a number
        elif match.group("var") is not None:
            expr = _hyphen_paths(match.group("var"))
        else:
            # as Jekyll: a quote inside a quoted value is escaped with a backslash
            value = (
                match.group("dq").replace('\\"', '"')
                if match.group("dq") is not None
                else match.group("sq").replace("\\'", "'")
            )
            expr = _jinja_string(value)
        params.append((key, expr))
        pos = match.end()
        if pos < len(text) and not text[pos].isspace():
            raise _IncludeSyntaxError(
                f"parameters must be separated by spaces near '{text[pos : pos + 40]}'"
            )
    return params


def _split_path(args: str) -> tuple[str, str]:
    """The include path (quoted, unquoted or with {{ }}) and the parameter text."""
    args = args.strip()
    if args[:1] and args[0] in "\"'":
        end = args.find(args[0], 1)
        if end < 0:
            raise _IncludeSyntaxError("unterminated quoted include path")
        return args[1:end], args[end + 1 :]
    pos = 0
    while pos < len(args) and not args[pos].isspace():
        if args.startswith("{{", pos):
            close = args.find("}}", pos)
            if close < 0:
                raise _IncludeSyntaxError("unterminated {{ in include path")
            pos = close + 2
        else:
            pos += 1
    return args[:pos], args[pos:]


class JekyllSyntax(Extension):
    """Preprocessor: Jekyll include tags and hyphenated keys to Jinja; source-map markers."""

    def __init__(self, environment: jinja2.Environment) -> None:
        super().__init__(environment)
        environment.extend(source_files={}, line_offsets={}, file_ids={}, template_names={})

    def file_id(self, display_path: str) -> int:
        ids: dict[str, int] = self.environment.file_ids  # type: ignore[attr-defined]
        if display_path not in ids:
            ids[display_path] = len(ids)
            self.environment.source_files[len(ids) - 1] = display_path  # type: ignore[attr-defined]
        return ids[display_path]

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if name and name.startswith(SKELETON_PREFIX):
            return source  # already preprocessed: see Renderer._skeleton
        env = self.environment
        display = env.display_path(name or "", filename)  # type: ignore[attr-defined]
        if name and filename:
            env.template_names[filename] = name  # type: ignore[attr-defined]
        offset = env.line_offsets.get(name, 0)  # type: ignore[attr-defined]
        fid = self.file_id(display)
        marked = marking()
        source = _block_internal_names(source)
        source = translate(source, liquid=env.settings.jekyll).text  # type: ignore[attr-defined]
        if not env.settings.jekyll:  # type: ignore[attr-defined]
            source = _flag_jekyll_site(source, env.settings.site)  # type: ignore[attr-defined]
        source = self._rewrite_tags(source, name or "", marked)
        return add_line_markers(source, fid, offset) if marked else source

    def _rewrite_tags(self, source: str, name: str, marked: bool = True) -> str:
        # the source map's markers around what the partial gives (none when it is not
        # included: then its frame gives nothing for them)
        push, pop = ("{{ _ed_frame.push }}", "{{ _ed_frame.pop }}") if marked else ("", "")

        def include(match: re.Match[str]) -> str:
            lstrip, rstrip = match.group("lstrip"), match.group("rstrip")
            # a tag spread over lines keeps its line count, inside a comment
            count = match.group(0).count("\n")
            newlines = "{#" + "\n" * count + "#}" if count else ""
            try:
                path, params_text = _split_path(match.group("args"))
                params = _parse_params(params_text)
            except _IncludeSyntaxError as exc:
                return (
                    f"{{%{lstrip} set _ed_p = _ed_problem('ED308', {_jinja_string(str(exc))})"
                    f" {rstrip}%}}{{{{ _ed_p }}}}{newlines}"
                )
            mapping = ", ".join(f"{_jinja_string(k)}: {v}" for k, v in params)
            path_expr = _path_expression(path)
            if match.group("relative"):  # Jekyll: relative to the page being rendered
                path_expr = f"{path_expr}, _ed_page_dir"
            # One with and one include: the frame's template is the partial (which sets
            # its own static text, see _skeleton_partial), or one that prints why it could
            # not be included. (Every template with an include compiles this: with an if,
            # an else and a second with here, a clean check of 1,026 real-shaped pages took
            # 7.7-8.5 CPU-s, 7.0-7.7 without, before pages were rendered in parts.)
            return (
                f"{{%{lstrip} with include = {{{mapping}}}, "
                f"_ed_frame = _ed_enter(_ed_frame, {path_expr}) %}}"
                f"{push}{{% include _ed_frame.template %}}{pop}"
                f"{{% endwith {rstrip}%}}{newlines}"
            )

        raw_blocks: list[str] = []

        def keep_raw(match: re.Match[str]) -> str:
            raw_blocks.append(match.group(0))
            return f"{PROBLEM}raw{len(raw_blocks) - 1}{END}"

        source = _RAW_RE.sub(keep_raw, source)
        source = _INCLUDE_RE.sub(include, source)
        source = re.sub(
            r"(\{\{|\{%)(.*?)(\}\}|%\})",
            lambda m: (
                m.group(0)
                if "-" not in m.group(2)
                else m.group(1) + _hyphen_paths(m.group(2)) + m.group(3)
            ),
            source,
            flags=re.DOTALL,
        )
        if raw_blocks:
            source = re.sub(
                f"{PROBLEM}raw(\\d+){END}", lambda m: raw_blocks[int(m.group(1))], source
            )
        return source


#: the renderer's own names (the globals it writes into templates): a page or partial that
#: names one gets a name that is never defined, reported as ED307 where it stands
BLOCKED_PREFIX = "_ed_blocked_"


_INTERNAL_NAME_RE = re.compile(r"(?<![\w.])(?:_ed_\w*|liquid_unsupported|liquid_syntax_error)\b")


_TAG_OR_RAW_RE = re.compile(_RAW_RE.pattern + r"|\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


_IN_TAG_STRING_RE = re.compile(r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")", re.DOTALL)


def _block_internal_names(source: str) -> str:
    """``source`` with every internal name inside its tags renamed out of reach (string
    literals and raw blocks left as they are)."""
    if "_ed_" not in source and "liquid_" not in source:
        return source

    def rename(part: re.Match[str]) -> str:
        return BLOCKED_PREFIX + part.group(0)

    def tag(match: re.Match[str]) -> str:
        text = match.group(0)
        if match.group(1) is not None or not _INTERNAL_NAME_RE.search(text):
            return text  # a raw block, or nothing to rename
        pieces = _IN_TAG_STRING_RE.split(text)
        return "".join(
            piece if index % 2 else _INTERNAL_NAME_RE.sub(rename, piece)
            for index, piece in enumerate(pieces)
        )

    return _TAG_OR_RAW_RE.sub(tag, source)


_JEKYLL_SITE_RE = re.compile(
    r"(\{%-?|\{\{-?)(?:(?!%\}|\}\}).)*?\bsite\.(pages|posts|tags|categories|collections|"
    r"documents)\b",
    re.DOTALL,
)


def _flag_jekyll_site(source: str, site: Mapping[str, Any]) -> str:
    """Outside a Jekyll tree, site.pages, site.posts... are Jekyll's alone: a tag that reads
    one is reported where it stands (ED321), not left to loop over nothing in silence."""
    if "site." not in source:
        return source

    def flag(match: re.Match[str]) -> str:
        key = match.group(2)
        if key in site:
            return match.group(0)
        message = (
            f"site.{key} is Jekyll's list, known only when checking a Jekyll tree "
            "in place; here it is empty"
        )
        return f"{{{{ _ed_problem('ED321', {_jinja_string(message)}) }}}}" + match.group(0)

    return _JEKYLL_SITE_RE.sub(flag, source)
