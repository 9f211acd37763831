"""Liquid: translate Jekyll's Liquid syntax to Jinja2, and Liquid's filters written for Jinja2."""
