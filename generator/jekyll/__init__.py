"""Jekyll: check a Jekyll tree in place (its rules for which files are pages) and import one."""
