"""Rendered documents shared by the renderer tests (rendering is the slow part: done once)."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.invoice.renderers.snapshots import (
    make_credit_note,
    make_long_snapshot,
    make_snapshot,
)


def pdf_text(data: bytes) -> str:
    """All pages' text, whitespace (non-breaking spaces included) collapsed to single spaces."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.fixture(scope="session")
def snapshot():
    return make_snapshot()


@pytest.fixture(scope="session")
def credit_note():
    return make_credit_note()


@pytest.fixture(scope="session")
def long_snapshot():
    return make_long_snapshot(300)


@pytest.fixture(scope="session")
def multi_part_snapshot():
    """120 lines: three parts of 50, 50 and 20 lines with ``chunk_lines=MULTI_PART_CHUNK``."""
    return make_long_snapshot(120)


MULTI_PART_CHUNK = 50


def line_description(position: int) -> str:
    """The description make_long_snapshot gives line ``position``."""
    return f"Avis de décès n° {position} — parution régionale"
