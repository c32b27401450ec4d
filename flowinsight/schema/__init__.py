"""The published JSON Schema of `--format json`."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def load_schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("flowinsight.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
