"""element-docs: a documentation generator for API-connector ("element") docs.

The public API is small on purpose (a test pins it): load a project's settings, build a
``Project``, check it, and read the ``Diagnostic`` objects that come back.
"""

from generator.errors import CODES, Diagnostic, ElementDocsError, Severity, SourceLocation
from generator.pipeline.project import Project
from generator.report import CheckReport
from generator.settings import Settings, load_settings
from generator.version import __version__

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
