"""The words of a service's pages and messages live in data files, one per language:
`services/<service>/locales/<name>.<language>.json` (fa, tr, en), so a translator edits JSON, not Python."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def load_words(module_file: str, name: str) -> dict[str, Any]:
    """{language: words} from the `locales/<name>.<language>.json` files beside `module_file` (pass `__file__`)."""
    folder = Path(module_file).parent / "locales"
    found = {
        path.name.split(".")[-2]: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob(f"{name}.*.json"))
    }
    if not found:
        raise FileNotFoundError(f"no {name}.<language>.json under {folder}")
    return found
