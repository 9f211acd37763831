"""The MkDocs plugin: the only part of element-docs that imports MkDocs."""
