"""Where scaffolder keeps its files, and the environment variables that move them."""

from __future__ import annotations

import os
from pathlib import Path

CATALOG_ENV = "SCAFFOLDER_CATALOG"


def default_catalog_path() -> Path:
    """`SCAFFOLDER_CATALOG`, else `catalog.yaml` in the user's data directory."""
    if env := os.environ.get(CATALOG_ENV):
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("scaffolder", appauthor=False) / "catalog.yaml"
