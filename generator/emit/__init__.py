"""Emit: what the site shows beyond the pages (navigation, generated pages, request tabs)."""
