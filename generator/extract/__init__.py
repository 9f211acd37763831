"""Extract: find the example blocks and parameters tables of a rendered page (markdown-it-py)."""
