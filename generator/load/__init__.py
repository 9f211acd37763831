"""Load: list the pages, read files safely, split and parse front matter, read data files."""
