"""``generator new``: the authenticate page of a new element, ready for ``check``.

The page is front matter (the element's facts and, for the shared partials in
``includes/auth/``, its configuration keys), one include of the partial for its kind of
authentication and an example response made from the same facts, so it passes the checker as
written. The navigation and the home page's catalog pick it up from its front matter.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.model import HUB_TITLES
from generator.pipeline.project import Project
from generator.settings import Settings

AUTH_TYPES = {"basic": "basic", "oauth2": "oauth2", "oauth1": "oauth1", "apikey": "apiKey"}
PARTIALS = {
    "basic": "auth/basic.md",
    "oauth2": "auth/oauth2.md",
    "oauth1": "auth/oauth1.md",
    "apikey": "auth/apikey.md",
}
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class ScaffoldRefused(Exception):
    """The page cannot be written (it exists, or an argument is unusable): one line."""


@dataclass(frozen=True)
class NewElement:
    slug: str
    auth: str  # a key of AUTH_TYPES
    hub: str
    element_id: int
    key: str
    name: str

    @property
    def provider(self) -> str:
        return self.name.split()[0]

    @property
    def provider_slug(self) -> str:
        return re.sub(r"[^a-z0-9]", "", self.provider.lower()) or self.key


def _fields(element: NewElement) -> list[dict[str, str]]:
    prefix = f"{element.hub}.{element.provider_slug}"
    provider = element.provider
    upper = element.provider_slug.upper()
    if element.auth == "basic":
        return [
            {
                "key": f"{prefix}.username",
                "label": "Username",
                "description": f"The user name you sign in to {provider} with.",
                "placeholder": f"{upper}_USERNAME",
            },
            {
                "key": f"{prefix}.password",
                "label": "Password",
                "description": f"The password that goes with that {provider} user name.",
                "placeholder": f"{upper}_PASSWORD",
            },
        ]
    if element.auth == "apikey":
        return [
            {
                "key": f"{prefix}.api.key",
                "label": "API Key",
                "description": f"The API key that {provider} issued to you.",
                "placeholder": f"{upper}_API_KEY",
            }
        ]
    return []


def front_matter(element: NewElement) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "heading": element.name,
        "title": "Authenticate",
        "elementId": element.element_id,
        "elementKey": element.key,
        "hub": element.hub,
        "authType": AUTH_TYPES[element.auth],
        "provider": element.provider,
    }
    if element.auth in ("oauth2", "oauth1"):
        meta["authorizationUrl"] = f"https://{element.provider_slug}.example.com/oauth/authorize"
    fields = _fields(element)
    if fields:
        meta["configuration"] = fields
    return meta


def example_response(element: NewElement) -> dict[str, Any]:
    return {
        "id": 12345,
        "name": "API Instance",
        "createdDate": "2017-08-07T18:46:38Z",
        "token": "ABC/Dxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "element": {
            "id": element.element_id,
            "name": element.name,
            "key": element.key,
            "hub": element.hub,
            "authentication": {"type": AUTH_TYPES[element.auth]},
        },
        "elementId": element.element_id,
        "tags": ["Docs"],
        "valid": True,
        "disabled": False,
        "configuration": {},
        "user": {"id": 12345},
    }


def page_text(element: NewElement) -> str:
    meta = yaml.safe_dump(front_matter(element), sort_keys=False, allow_unicode=True, width=100)
    notes = (
        "# Written by 'generator new'. Check elementId against the platform, and replace "
        "what the\n# provider calls things (labels, sign-in address) with its own names.\n"
    )
    response = json.dumps(example_response(element), indent=2)
    return (
        f"---\n{notes}{meta}---\n\n"
        f"{{% include {PARTIALS[element.auth]} %}}\n\n"
        "## Example Response for an Authenticated Element Instance\n\n"
        "In this example, the instance ID is `12345` and the instance token starts with "
        '"ABC/D...". The actual values returned to you will be unique: make sure you '
        "save them for future requests to this new instance.\n\n"
        f"```json\n{response}\n```\n"
    )


def _title(slug: str) -> str:
    words = slug.split("-")
    return " ".join(w.upper() if w in ("crm", "erp", "api") else w.capitalize() for w in words)


def plan(
    settings: Settings,
    slug: str,
    auth: str,
    hub: str | None,
    element_id: int | None,
    key: str | None,
    name: str | None,
) -> tuple[NewElement, Path]:
    """What ``generator new`` would write, and where; refuses what it must not do."""
    if not SLUG_RE.match(slug):
        raise ScaffoldRefused(f"'{slug}' is not a slug: use lower-case letters, digits and '-'")
    folder = settings.docs_dir / "elements" / slug
    if folder.exists():
        raise ScaffoldRefused(
            f"{_shown(folder, settings)} already exists: pick another slug, "
            "or edit the page that is there"
        )
    project = Project(settings)
    project.load_all()
    metas = [doc.meta for doc, _ in project.documents.values() if doc is not None]
    key = key or re.sub(r"[^a-z0-9]", "", slug)
    if any(meta.get("elementKey") == key for meta in metas):
        raise ScaffoldRefused(f"element key '{key}' is already documented: give another with --key")
    ids = [m["elementId"] for m in metas if isinstance(m.get("elementId"), int)]
    if element_id is None:
        element_id = max(ids, default=0) + 1
    elif element_id < 1:
        raise ScaffoldRefused("--id must be a positive number")
    last = slug.rsplit("-", 1)[-1]
    hub = hub or (last if last in HUB_TITLES else "general")
    if not re.match(r"^[A-Za-z][A-Za-z0-9_-]*$", hub):
        raise ScaffoldRefused(f"'{hub}' is not a hub name: use letters, digits, '-' and '_'")
    element = NewElement(slug, auth, hub, element_id, key, name or _title(slug))
    return element, folder / "authenticate.md"


def _shown(path: Path, settings: Settings) -> str:
    try:
        return path.relative_to(settings.root).as_posix() + ("/" if path.is_dir() else "")
    except ValueError:
        return str(path)


def write_page(element: NewElement, target: Path) -> None:
    """Written whole or not at all: a temporary file renamed into place."""
    target.parent.mkdir(parents=True, exist_ok=False)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".new-", suffix=".md")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(page_text(element))
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        target.parent.rmdir()
        raise
