"""The text of a message: subject, body and SMS text rendered from the templates of its kind and language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).with_name("templates")


class Renderer:
    """Subject, body and SMS text of a kind of message in a language, from templates/<kind>.<language>.txt."""

    def __init__(self, folder: Path = TEMPLATES):
        # Plain text: nothing is HTML-escaped (a name with & reads as written); StrictUndefined: a template naming a
        # value the rule does not give fails in the tests rather than sending a blank.
        self.env = Environment(loader=FileSystemLoader(folder), autoescape=False, undefined=StrictUndefined)

    def render(self, kind: str, language: str, context: dict[str, Any]) -> dict[str, str]:
        template = self.env.get_template(f"{kind}.{language}.txt")
        ctx = template.new_context(context)
        return {name: "".join(template.blocks[name](ctx)).strip() for name in ("subject", "body", "sms")}
