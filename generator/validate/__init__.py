"""Validate: check examples and front matter against JSON Schemas and against the page."""
