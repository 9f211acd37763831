"""Render: expand Jekyll-style include partials with Jinja2 in a sandbox, keeping a source map."""
