"""One request, every language: the snippets a page shows for its checked request body.

Every snippet is made from the same three facts (the JSON body the checker proved right, the
API base from ``mkdocs.yml`` ``extra: api_base`` and the path ``/instances``), so the tabs
cannot drift from each other or from the body. The headers are the ones the cURL check asks
for (the cURL check in ``validate/``): the User and Organization secrets and the JSON content type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

AUTHORIZATION = "User <USER_SECRET>, Organization <ORGANIZATION_SECRET>"
CONTENT_TYPE = "application/json"
DEFAULT_API_BASE = "https://api.cloud-elements.com/elements/api-v2"


@dataclass(frozen=True)
class Snippet:
    title: str  # the tab's label
    lang: str  # the fence's language (highlighting)
    code: str  # without a final newline


def instances_url(api_base: str | None) -> str:
    return (api_base or DEFAULT_API_BASE).rstrip("/") + "/instances"


def json_text(body: Any, indent: int = 2) -> str:
    return json.dumps(body, indent=indent, ensure_ascii=False)


def _shell_quote(text: str) -> str:
    """Single-quoted for a POSIX shell: a quote inside becomes '\\''."""
    return "'" + text.replace("'", "'\\''") + "'"


def curl(body: Any, api_base: str | None) -> str:
    return "\n".join(
        [
            "curl -X POST \\",
            f"  {instances_url(api_base)} \\",
            f"  -H {_shell_quote('authorization: ' + AUTHORIZATION)} \\",
            f"  -H {_shell_quote('content-type: ' + CONTENT_TYPE)} \\",
            f"  -d {_shell_quote(json_text(body))}",
        ]
    )


def _python_literal(value: Any, depth: int = 0) -> str:
    """``value`` as a Python literal laid out like indented JSON (True, False and None
    where JSON says true, false and null)."""
    pad, inner = "    " * depth, "    " * (depth + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {_python_literal(v, depth + 1)},"
            for k, v in value.items()
        ]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        items = [f"{inner}{_python_literal(v, depth + 1)}," for v in value]
        return "[\n" + "\n".join(items) + f"\n{pad}]"
    if value is True:
        return "True"
    if value is False:
        return "False"
    if value is None:
        return "None"
    return json.dumps(value, ensure_ascii=False)  # strings and numbers read the same


def python(body: Any, api_base: str | None) -> str:
    literal = _python_literal(body, 1)
    return "\n".join(
        [
            "import requests",
            "",
            "response = requests.post(",
            f"    {json.dumps(instances_url(api_base))},",
            "    headers={",
            f'        "Authorization": {json.dumps(AUTHORIZATION)},',
            "    },",
            f"    json={literal},",
            ")",
            "response.raise_for_status()",
            "instance = response.json()",
            'print(instance["id"], instance["token"])  # keep both for later requests',
        ]
    )


def javascript(body: Any, api_base: str | None) -> str:
    literal = "\n".join(
        ("  " + line) if n else line for n, line in enumerate(json_text(body).split("\n"))
    )
    return "\n".join(
        [
            f"const response = await fetch({json.dumps(instances_url(api_base))}, {{",
            '  method: "POST",',
            "  headers: {",
            f'    "Authorization": {json.dumps(AUTHORIZATION)},',
            f'    "Content-Type": {json.dumps(CONTENT_TYPE)},',
            "  },",
            f"  body: JSON.stringify({literal}),",
            "});",
            "if (!response.ok) throw new Error(`HTTP ${response.status}`);",
            "const instance = await response.json();",
            "console.log(instance.id, instance.token); // keep both for later requests",
        ]
    )


HTTPIE_END = "JSON"


def httpie(body: Any, api_base: str | None) -> str:
    """HTTPie sends what it reads on standard input as the body, as JSON by default."""
    return "\n".join(
        [
            f"http POST {instances_url(api_base)} \\",
            f"  {_shell_quote('Authorization:' + AUTHORIZATION)} \\",
            f"  {_shell_quote('Content-Type:' + CONTENT_TYPE)} <<'{HTTPIE_END}'",
            json_text(body),
            HTTPIE_END,
        ]
    )


def snippets(body: Any, api_base: str | None) -> list[Snippet]:
    """The tabs for one request, in the order readers expect. A cURL that the author wrote
    by hand stays where it stands on the page (checked against the body as ever)."""
    return [
        Snippet("JSON body", "json", json_text(body)),
        Snippet("cURL", "bash", curl(body, api_base)),
        Snippet("Python", "python", python(body, api_base)),
        Snippet("JavaScript", "javascript", javascript(body, api_base)),
        Snippet("HTTPie", "bash", httpie(body, api_base)),
    ]
