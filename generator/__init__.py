"""element-docs: a documentation generator for API-connector ("element") docs.

The public API is small on purpose (a test pins it): load a project's settings, build a
``Project``, check it, and read the ``Diagnostic`` objects that come back.

Its names are imported when first used (PEP 562): ``import generator.settings`` does not
pay for the renderer and the validators (0.3 s of every command's start-up before).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from generator.version import __version__

if TYPE_CHECKING:
    from generator.errors import CODES, Diagnostic, ElementDocsError, Severity, SourceLocation
    from generator.pipeline.project import Project
    from generator.report import CheckReport
    from generator.settings import Settings, load_settings

_WHERE = {
    "CODES": "generator.errors",
    "Diagnostic": "generator.errors",
    "ElementDocsError": "generator.errors",
    "Severity": "generator.errors",
    "SourceLocation": "generator.errors",
    "Project": "generator.pipeline.project",
    "CheckReport": "generator.report",
    "Settings": "generator.settings",
    "load_settings": "generator.settings",
}

__all__ = [
    "CODES",
    "CheckReport",
    "Diagnostic",
    "ElementDocsError",
    "Project",
    "Settings",
    "Severity",
    "SourceLocation",
    "__version__",
    "load_settings",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'generator' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
