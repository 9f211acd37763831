"""What Jekyll knows of a whole site before it renders a page: every page, post and
collection document with its URL, so that ``site.pages``, ``site.posts``, ``site.tags``,
``site.categories``, ``site.collections``, ``site.<label>``, ``page.url`` and the tags
``link`` and ``post_url`` give what Jekyll gives.

URLs follow Jekyll 4: a ``permalink:`` in the front matter wins; otherwise the collection's
``permalink`` (or the site's for posts and pages: ``date``, ``pretty``, ``ordinal``, ``none``
or a template) filled with ``:path``, ``:name``, ``:title``, ``:year``, ``:categories``...
A page's text is not read here (``content`` is left out: reading it is reported where used).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from generator.load.documents import parse_document
from generator.load.files import decode, read_page_bytes, without_suffix
from generator.settings import Defaults, Settings, defaults_for, relative_posix

#: Jekyll's built-in permalink styles, for posts (pages use the matching page style).
STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
PUBLISHED_FALSE = "pages with 'published: false'"
_POST_NAME = re.compile(r"(\d{2,4}-\d{1,2}-\d{1,2})-(.*)(\.[^.]+)$")
PAGE_SUFFIXES = (".md", ".markdown", ".mkdown", ".mkdn", ".mkd")
OUTPUT_EXT = {
    ".md": ".html",
    ".markdown": ".html",
    ".mkdown": ".html",
    ".mkdn": ".html",
    ".mkd": ".html",
    ".html": ".html",
    ".htm": ".html",
}


@dataclass
class SiteModel:
    """The site as Liquid sees it, and each file's URL by its path from the source."""

    pages: list[dict[str, Any]] = field(default_factory=list)
    collections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)  # source path -> url
    by_rel: dict[str, dict[str, Any]] = field(default_factory=dict)  # source path -> item
    collection_info: list[dict[str, Any]] = field(default_factory=list)
    #: files Jekyll reads no page or post from, by path, with why (published: false...)
    unpublished: dict[str, str] = field(default_factory=dict)

    def site_values(self) -> dict[str, Any]:
        """``site.pages``, ``site.posts``, ``site.<label>``, ``site.tags`` ... ."""
        posts = sorted(
            self.collections.get("posts", []),
            key=lambda p: (str(p.get("date") or ""), p["path"]),
            reverse=True,
        )
        pages = sorted(self.pages, key=lambda p: (p["name"], p["path"]))
        values: dict[str, Any] = {
            "pages": pages,
            "posts": posts,
            # Jekyll's pages whose output is HTML: every page of the model (Markdown and
            # HTML pages; the feeds and other text pages are not in it)
            "html_pages": list(pages),
            "collections": sorted(self.collection_info, key=lambda c: c["label"]),
            "documents": [d for docs in self.collections.values() for d in docs],
        }
        for label, docs in self.collections.items():
            if label != "posts":
                values[label] = docs
        for kind in ("tags", "categories"):  # as Jekyll: names in the order the oldest
            grouped: dict[str, list[dict[str, Any]]] = {}  # post first has them, posts
            for post in reversed(posts):  # newest first under each
                for name in post.get(kind) or []:
                    grouped.setdefault(str(name), []).insert(0, post)
            values[kind] = grouped
        return values


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def slugify(text: str) -> str:
    return re.sub(r"[^\w.~-]+|_", "-", text.lower()).strip("-") if text else ""


def _fill(template: str, values: Mapping[str, str]) -> str:
    """A permalink template with its placeholders filled, as Jekyll's URL class does
    (the longest names first: :title before :t...), squeezing repeated slashes."""
    names = sorted(values, key=len, reverse=True)
    pattern = re.compile(":(" + "|".join(re.escape(n) for n in names) + r")\b|:(output_ext)")

    def one(match: re.Match[str]) -> str:
        return values.get(match.group(1) or match.group(2) or "", "")

    url = pattern.sub(one, template)
    url = re.sub(r"/{2,}", "/", "/" + url.lstrip("/"))
    return url


def _date_values(date: _dt.datetime | _dt.date) -> dict[str, str]:
    day = date if isinstance(date, _dt.datetime) else _dt.datetime(date.year, date.month, date.day)
    return {
        "year": f"{day.year:04d}",
        "month": f"{day.month:02d}",
        "day": f"{day.day:02d}",
        "i_month": str(day.month),
        "i_day": str(day.day),
        "short_year": f"{day.year % 100:02d}",
        "y_day": f"{day.timetuple().tm_yday:03d}",
        "short_month": day.strftime("%b"),
        "long_month": day.strftime("%B"),
        "short_day": day.strftime("%a"),
        "long_day": day.strftime("%A"),
        "hour": f"{day.hour:02d}",
        "minute": f"{day.minute:02d}",
        "second": f"{day.second:02d}",
        "week": f"{day.isocalendar()[1]:02d}",
        "w_year": str(day.isocalendar()[0]),
        "w_day": str(day.isocalendar()[2]),
    }


def _post_date(value: Any, from_name: _dt.datetime, timezone: Any) -> _dt.datetime | _dt.date:
    """A post's date: its front matter's ``date:`` when it reads as one (a time with an
    offset is shown in the site's ``timezone:``, as Jekyll does), else its file name's."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = _dt.datetime.fromisoformat(
                re.sub(r"\s*([+-]\d{2}):?(\d{2})$", r"+\1\2", text)
                .replace("++", "+")
                .replace("+-", "-")
            )
        except ValueError:
            return from_name
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None and isinstance(timezone, str):
            try:
                from zoneinfo import ZoneInfo

                return value.astimezone(ZoneInfo(timezone))
            except (ValueError, KeyError, OSError):
                pass
        return value
    if isinstance(value, _dt.date):
        return value
    return from_name  # not a date: Jekyll stops on it; the file name's date stands


def read_meta(path: Path, settings: Settings) -> dict[str, Any] | None:
    """The front matter of the page at ``path`` for the site model, None without any. Read
    as a page is (read_page_bytes): a link to a file outside the tree gives nothing, or
    its front matter would reach every page through site.pages."""
    raw, _ = read_page_bytes(path, path.name, settings)
    if raw is None:
        return None
    text, _ = decode(raw, path.name)
    if text is None:
        return None
    document, _ = parse_document(text, path, path.name, keep_body=False)
    return dict(document.meta) if document.has_front_matter else None


def is_published(meta: Mapping[str, Any]) -> bool:
    return meta.get("published", True) is not False


def page_url(rel: str, meta: Mapping[str, Any], site_permalink: str) -> str:
    """The URL Jekyll gives the page (not a collection document) at ``rel``."""
    parent, _, name = rel.rpartition("/")
    stem = without_suffix(name)
    suffix = name[len(stem) :]
    ext = OUTPUT_EXT.get(suffix, suffix)
    folder = parent + "/" if parent else ""
    values = {"path": "/" + folder, "basename": stem, "output_ext": ext, "name": stem}
    permalink = meta.get("permalink")
    if isinstance(permalink, str) and permalink:
        return _fill(permalink, values)
    pretty = site_permalink == "pretty" or site_permalink.endswith("/")
    if stem == "index" and ext == ".html":
        return f"/{folder}"
    if pretty and ext == ".html":
        return f"/{folder}{stem}/"
    return f"/{folder}{stem}{ext}"


def document_url(
    label: str, rel_in: str, meta: Mapping[str, Any], template: str, extra: Mapping[str, str]
) -> str:
    posix = PurePosixPath(rel_in)
    ext = OUTPUT_EXT.get(posix.suffix, posix.suffix)
    values = {
        "collection": label,
        "path": "/" + posix.with_suffix("").as_posix(),
        "name": slugify(posix.stem),
        "output_ext": ext,
        **extra,
    }
    values.setdefault("title", values["name"])
    values.setdefault("slug", values["title"])
    permalink = meta.get("permalink")
    return _fill(permalink if isinstance(permalink, str) and permalink else template, values)


def _permalink_suffix(template: str, style: str) -> str:
    """A collection's URL template after the site's permalink style, as Jekyll's
    Utils.add_permalink_suffix makes it: 'pretty' ends it with a slash."""
    if style == "pretty":
        return template + "/"
    if style in ("date", "ordinal", "none"):
        return template + ":output_ext"
    return (
        template
        + ("/" if style.endswith("/") else "")
        + (":output_ext" if style.endswith(":output_ext") else "")
    )


def build_model(
    src: Path,
    config: Mapping[str, Any],
    pages: Iterable[Path],
    read_meta: Callable[[Path], dict[str, Any] | None],
    defaults: Defaults = (),
) -> SiteModel:
    """The model of the Jekyll tree at ``src``: ``pages`` are the published pages outside
    collections (as jekyll.published_pages lists them); collections are read here.
    ``read_meta`` gives a file's front matter (None without any)."""
    model = SiteModel()
    site_permalink = str(config.get("permalink") or "date")
    post_template = STYLES.get(site_permalink, site_permalink)
    collections = config.get("collections") or {}
    if isinstance(collections, list):
        collections = {str(name): {} for name in collections}
    if not isinstance(collections, Mapping):
        collections = {}
    folder = str(config.get("collections_dir") or "").strip("/")
    labels: dict[str, Mapping[str, Any]] = {"posts": {"output": True}}
    for name, options in collections.items():
        labels[str(name)] = {
            **labels.get(str(name), {}),
            **(options if isinstance(options, Mapping) else {}),
        }
    collection_dirs = {f"{folder}/_{label}" if folder else f"_{label}" for label in labels}
    for path in pages:
        rel = relative_posix(path, src) or path.relative_to(src).as_posix()
        if any(rel.startswith(d + "/") for d in collection_dirs):
            continue
        meta = read_meta(path)
        if meta is None:
            continue
        if not is_published(meta):
            model.unpublished[rel] = PUBLISHED_FALSE
            continue
        meta = {**defaults_for(defaults, rel, "pages"), **meta}  # as Jekyll's page.data
        url = page_url(rel, meta, site_permalink)
        item = {
            **meta,
            "url": url,
            "path": rel,
            "name": rel.rpartition("/")[2],
            "dir": url if url.endswith("/") else url.rsplit("/", 1)[0] + "/",
        }
        model.pages.append(item)
        model.urls[rel] = url
        model.by_rel[rel] = item
    future = bool(config.get("future", False))
    now = _dt.datetime.now()
    for label, options in labels.items():
        directory = src / (f"{folder}/_{label}" if folder else f"_{label}")
        default_template = (
            post_template
            if label == "posts"
            else _permalink_suffix("/:collection/:path", site_permalink)
        )
        template = str(options.get("permalink") or default_template)
        template = STYLES.get(template, template)
        output = bool(options.get("output", label == "posts"))
        docs: list[dict[str, Any]] = []
        if directory.is_dir():
            for path in sorted(directory.rglob("*")):
                rel_in = path.relative_to(directory).as_posix()
                if not path.is_file() or any(
                    part.startswith((".", "_")) for part in PurePosixPath(rel_in).parts
                ):
                    continue
                if path.suffix not in PAGE_SUFFIXES + (".html",):
                    continue
                meta = read_meta(path)
                rel = path.relative_to(src).as_posix()
                if meta is None:
                    continue
                if not is_published(meta):
                    model.unpublished[rel] = PUBLISHED_FALSE
                    continue
                meta = {**defaults_for(defaults, rel, label), **meta}
                extra: dict[str, str] = {}
                item = dict(meta)
                if label == "posts":
                    match = _POST_NAME.match(path.name)
                    try:
                        if match is None:
                            raise ValueError(path.name)
                        named = _dt.datetime.strptime(match.group(1), "%Y-%m-%d")
                    except ValueError:  # no date in its name: Jekyll reads no post from it
                        model.unpublished[rel] = "posts without a date in their file name"
                        continue
                    date = _post_date(meta.get("date"), named, config.get("timezone"))
                    stamp = (
                        date
                        if isinstance(date, _dt.datetime)
                        else _dt.datetime(date.year, date.month, date.day)
                    )
                    if not future and stamp.replace(tzinfo=None) > now:
                        model.unpublished[rel] = "posts dated in the future (future: false)"
                        continue
                    title = str(meta.get("slug") or slugify(match.group(2)))
                    categories = [
                        *PurePosixPath(rel_in).parent.parts,
                        *_as_list(meta.get("categories")),
                        *_as_list(meta.get("category")),
                    ]
                    categories = [c for c in categories if c != "."]
                    extra = {
                        **_date_values(date),
                        "title": title,
                        "slug": title,
                        "categories": "/".join(slugify(c) for c in categories),
                    }
                    item.update(
                        date=date,
                        categories=categories,
                        tags=_as_list(meta.get("tags")),
                        slug=title,
                    )
                slug = _POST_NAME.match(path.name)
                item.setdefault(
                    "title",
                    " ".join(  # Jekyll's titleize_slug
                        w.capitalize() for w in (slug.group(2) if slug else path.stem).split("-")
                    ),
                )
                url = document_url(label, rel_in, meta, template, extra)
                item.update(
                    url=url,
                    path=rel,
                    relative_path=rel,
                    collection=label,
                    id=url.removesuffix(".html").rstrip("/") or "/",
                    name=path.name,
                )
                docs.append(item)
                model.urls[rel] = url
                model.by_rel[rel] = item
        model.collections[label] = docs
        model.collection_info.append(
            {
                "label": label,
                "docs": docs,
                "output": output,
                "permalink": options.get("permalink"),
                "relative_directory": f"_{label}",
                **{k: v for k, v in options.items() if k not in ("docs", "label")},
            }
        )
    return model


def static_url(rel: str) -> str:
    return "/" + rel.lstrip("/")


def post_url(items: Mapping[str, Mapping[str, Any]], wanted: str) -> str | None:
    """The URL of the post ``wanted`` (its file name without extension, perhaps under a
    folder of _posts), as ``{% post_url %}`` finds it."""
    wanted = wanted.strip().strip("/")
    for rel, item in items.items():
        if item.get("collection") != "posts":
            continue
        stem = PurePosixPath(rel).with_suffix("").as_posix()
        inside = stem.split("_posts/", 1)[-1]
        if inside == wanted or stem.endswith("/" + wanted) and "/" in wanted:
            return str(item["url"])
    return None
