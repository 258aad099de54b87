"""Backstage's entity model: names, references, entity validation. Pure functions, no I/O."""
