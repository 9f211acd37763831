"""One request, every language: each generated snippet parses in its own language and says
the same request as the checked JSON body; run against a local stand-in for the API, each one
sends exactly that request."""

from __future__ import annotations

import ast
import json
import shlex
import shutil
import subprocess
import sys
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO

from generator import Project, load_settings
from generator.emit.present import present
from generator.emit.snippets import AUTHORIZATION, HTTPIE_END, instances_url, snippets
from generator.extract.blocks import REQUEST, extract
from generator.extract.curl import parse_curl

BODIES: list[Any] = [
    {
        "element": {"key": "autotaskcrm"},
        "configuration": {
            "crm.autotask.username": "<AUTOTASK_USERNAME>",
            "crm.autotask.password": "<AUTOTASK_PASSWORD>",
        },
        "tags": ["<Add_Your_Tag>"],
        "name": "<INSTANCE_NAME>",
    },
    # what a shell, Python or JavaScript could misread: quotes, backslashes, ${...}, unicode,
    # numbers, booleans and null, empty containers
    {
        "element": {"key": "o'brien"},
        "configuration": {
            "a.b": 'it\'s "quoted" \\ ${HOME} `x` $(id) \u00e9\u4e2d',
            "n": 3,
            "f": 1.5,
            "t": True,
            "no": False,
            "none": None,
            "event.poller.configuration": {"contacts": {"url": "/hubs/x"}},
        },
        "providerData": {"code": "<CODE>"},
        "tags": [],
        "name": "line\nbreak",
        "o": {},
    },
]
API = "https://api.example.com/elements/api-v2"


def by_title(body: Any, api: str = API) -> dict[str, str]:
    return {s.title: s.code for s in snippets(body, api)}


def python_request(code: str) -> tuple[str, dict[str, str], Any]:
    """The URL, headers and json= of the requests.post call, read from the syntax tree."""
    tree = ast.parse(code)
    call = next(
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "post"
    )
    keywords = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    return ast.literal_eval(call.args[0]), keywords["headers"], keywords["json"]


@pytest.mark.parametrize("body", BODIES)
def test_json_tab_is_the_body(body: Any) -> None:
    assert json.loads(by_title(body)["JSON body"]) == body


@pytest.mark.parametrize("body", BODIES)
def test_python_parses_and_sends_the_body(body: Any) -> None:
    url, headers, sent = python_request(by_title(body)["Python"])
    assert url == API + "/instances"
    assert headers == {"Authorization": AUTHORIZATION}
    assert sent == body


@pytest.mark.parametrize("body", BODIES)
def test_curl_parses_back_to_the_same_request(body: Any) -> None:
    command = parse_curl(by_title(body)["cURL"])
    assert command.effective_method == "POST"
    assert command.url == API + "/instances"
    assert dict((n, v) for n, v, _ in command.headers) == {
        "authorization": AUTHORIZATION,
        "content-type": "application/json",
    }
    assert command.data is not None and json.loads(command.data.text) == body
    # and a POSIX shell reads the same words
    words = shlex.split(by_title(body)["cURL"].replace("\\\n", " "))
    assert json.loads(words[words.index("-d") + 1]) == body


@pytest.mark.parametrize("body", BODIES)
def test_httpie_reads_the_same_request(body: Any) -> None:
    code = by_title(body)["HTTPie"]
    words = shlex.split(code.split("<<")[0].replace("\\\n", " "))
    assert words[:3] == ["http", "POST", API + "/instances"]
    assert f"Authorization:{AUTHORIZATION}" in words
    heredoc = code.split(f"<<'{HTTPIE_END}'\n", 1)[1]
    assert heredoc.endswith("\n" + HTTPIE_END)
    assert json.loads(heredoc[: -len(HTTPIE_END)]) == body


NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node is not installed: JavaScript is not parsed")
def test_javascript_parses_with_node(tmp_path: Path) -> None:
    for number, body in enumerate(BODIES):
        script = tmp_path / f"snippet{number}.mjs"  # a module: top-level await is allowed
        script.write_text(by_title(body)["JavaScript"])
        result = subprocess.run(
            [NODE, "--check", str(script)], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr


# --- against a local stand-in for the API ---------------------------------------------------


class StandIn(BaseHTTPRequestHandler):
    received: list[tuple[str, str, dict[str, str], Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (the http.server spelling)
        length = int(self.headers.get("content-length", 0))
        body = json.loads(self.rfile.read(length))
        StandIn.received.append(
            (self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        )
        answer = json.dumps({"id": 12345, "token": "ABC/Dxxxx"}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def stand_in():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/elements/api-v2"
    server.shutdown()
    server.server_close()


def runners(code: str, tmp_path: Path) -> dict[str, list[str]]:
    return {
        "python": [sys.executable, "-c", code],
        "node": [NODE or "node", str(tmp_path / "snippet.mjs")],
        "shell": ["sh", "-c", code],
    }


@pytest.mark.parametrize(
    ("tab", "runner", "needs"),
    [
        ("Python", "python", "requests"),
        ("JavaScript", "node", "node"),
        ("cURL", "shell", "curl"),
    ],
)
def test_snippet_sends_the_documented_request(
    stand_in: str, tmp_path: Path, tab: str, runner: str, needs: str
) -> None:
    if needs == "requests":
        pytest.importorskip("requests")
    elif shutil.which(needs) is None:
        pytest.skip(f"{needs} is not installed")
    body = BODIES[1]
    code = by_title(body, stand_in)[tab]
    (tmp_path / "snippet.mjs").write_text(code)
    StandIn.received.clear()
    result = subprocess.run(
        runners(code, tmp_path)[runner], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    [(method, path, headers, sent)] = StandIn.received
    assert (method, path) == ("POST", "/elements/api-v2/instances")
    assert headers["authorization"] == AUTHORIZATION
    assert headers["content-type"].startswith("application/json")
    assert sent == body
    if runner != "shell":
        assert "12345" in result.stdout


# --- on the real pages ----------------------------------------------------------------------


def test_every_element_page_shows_its_checked_body_in_every_language() -> None:
    project = Project(load_settings(REPO))
    project.load_all()
    pages = sorted((REPO / "content" / "elements").glob("*/authenticate.md"))
    assert len(pages) >= 4
    for page in pages:
        result = project.check_page(page)
        assert result.rendered is not None and not any(d.is_error for d in result.diagnostics)
        shown = present(result.rendered.text, api_base=API, element_page=True, checked=True)
        assert shown.count('=== "Python"') == 1, page
        key = result.document.meta["elementKey"] if result.document else ""
        blocks = [b for b in shown.split("```") if b.startswith("python\n")]
        [python] = [b for b in blocks if "requests.post" in b]
        _, _, sent = python_request(textwrap.dedent(python[len("python\n") :]))
        [checked] = [e for e in extract(result.rendered.text).examples if e.kind == REQUEST]
        assert sent == json.loads(checked.text)
        assert sent["element"]["key"] == key
        assert instances_url(API) in shown
        assert "Examples checked" in shown
