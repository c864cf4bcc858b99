"""CAP 1.2 checks for tests: the OASIS schema in ``shared/standards/cap-1.2/``, found by searching
upward from the repository (a test that needs it is skipped, saying why, when it is absent)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from campaign.layouts.alerts import CAP_NS

etree = pytest.importorskip("lxml.etree", reason="lxml validates CAP against the XSD")
REPO = Path(__file__).resolve().parents[1]
NS = {"cap": CAP_NS}


def standards() -> Path | None:
    """The ``shared/standards/cap-1.2`` folder above the repository, if any."""
    for folder in (REPO, *REPO.parents):
        candidate = folder / "shared" / "standards" / "cap-1.2"
        if (candidate / "CAP-v1.2.xsd").is_file():
            return candidate
    return None


@functools.cache
def _schema(path: Path) -> Any:
    return etree.XMLSchema(etree.parse(str(path)))


def schema() -> Any:
    folder = standards()
    if folder is None:
        pytest.skip("shared/standards/cap-1.2/CAP-v1.2.xsd not found above the repository")
    return _schema(folder / "CAP-v1.2.xsd")


def parse(document: bytes) -> Any:
    return etree.fromstring(document, etree.XMLParser(resolve_entities=False, no_network=True))


def valid(document: bytes) -> Any:
    """The parsed document, after asserting it is valid CAP 1.2 (skips without the schema)."""
    root = parse(document)
    checker = schema()
    assert checker.validate(root), checker.error_log
    return root


def texts_of(root: Any, path: str) -> list[str]:
    return [element.text for element in root.iterfind(path, NS)]
