"""Pipeline: the project that composes the stages; its caches; parallel work."""
