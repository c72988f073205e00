"""The reporting processor as `crm process reporting` runs it, with its clock read from a file: a test moves time on
in a processor that runs in its own process (and can be killed) by writing the file."""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from pathlib import Path

from services.registry import PROCESSORS
from services.reporting.processor import run_processor
from shared.settings import Settings


class FileClock:
    def __init__(self, path: Path):
        self.path = path

    def __call__(self) -> datetime:
        return datetime.fromisoformat(self.path.read_text().strip())


def set_clock(path: Path, now: datetime) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(now.isoformat())
    tmp.replace(path)  # atomic: the processor never reads half a time


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings()
    sys.exit(run_processor(settings, PROCESSORS["reporting"].topics(settings), FileClock(Path(sys.argv[1]))))
