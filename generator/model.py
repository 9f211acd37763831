"""The element catalog: one entry per element, from its front matter, grouped by hub."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from generator.load.documents import Document
from generator.load.files import is_element_path, without_suffix
from generator.settings import Settings, relative_posix

HUB_TITLES = {
    "crm": "CRM",
    "helpdesk": "Help Desk",
    "finance": "Finance",
    "marketing": "Marketing",
    "ecommerce": "E-commerce",
    "erp": "ERP",
    "documents": "Documents",
    "messaging": "Messaging",
    "social": "Social",
    "payments": "Payments",
    "general": "General",
}


def hub_title(hub: str | None) -> str:
    if not hub:
        return "Other"
    return HUB_TITLES.get(hub.lower(), hub.replace("-", " ").title())


def auth_type(meta: dict[str, Any]) -> str:
    """The element's authentication, from ``authType`` or the OAuth keys it documents."""
    explicit = meta.get("authType")
    if isinstance(explicit, str):
        return explicit
    if any(key in meta for key in ("apiKey", "apiSecret", "callbackURL")):
        return "oauth2"
    return "basic"


AUTH_TITLES = {
    "basic": "Basic",
    "oauth2": "OAuth 2",
    "oauth1": "OAuth 1",
    "apiKey": "API key",
    "custom": "Custom",
}


def element_entry(doc: Document, docs_dir: Path) -> dict[str, Any]:
    page = relative_posix(doc.path, docs_dir)
    if page is None:
        raise ValueError(f"{doc.path} is not in {docs_dir}")
    url = without_suffix(page) + "/"
    meta = doc.meta
    auth = auth_type(meta)
    return {
        "name": meta.get("heading") or meta.get("title") or doc.path.parent.name,
        "key": meta.get("elementKey", ""),
        "id": meta.get("elementId", ""),
        "hub": doc.hub or "",
        "hub_title": hub_title(doc.hub),
        "auth": auth,
        "auth_title": AUTH_TITLES.get(auth, auth),
        "page": page,
        "url": url,
        "slug": doc.path.parent.name,
    }


def catalog(documents: Iterable[Document], settings: Settings) -> list[dict[str, Any]]:
    """One entry per element folder (its authenticate page, else its first page)."""
    chosen: dict[Path, Document] = {}
    for doc in documents:
        if not doc.is_element or not is_element_path(doc.path, settings):
            continue
        folder = doc.path.parent
        if folder not in chosen or doc.path.name == "authenticate.md":
            chosen[folder] = doc
    entries = [element_entry(doc, settings.docs_dir) for doc in chosen.values()]
    return sorted(entries, key=lambda e: (e["hub_title"], str(e["name"]).lower()))


def group_by_hub(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        groups.setdefault(entry["hub_title"], []).append(entry)
    return [
        {"title": title, "hub": items[0]["hub"], "elements": items}
        for title, items in sorted(groups.items(), key=lambda g: (g[0] == "Other", g[0]))
    ]
