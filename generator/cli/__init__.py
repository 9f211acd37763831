"""Command line: ``generator check``, ``build``, ``site``, ``fix``, ``new`` and the rest."""
