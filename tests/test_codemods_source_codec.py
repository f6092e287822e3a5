"""Source bytes to text and back: encoding, BOM and line endings survive a rewrite."""

from __future__ import annotations

import codecs

import pytest

from advisor.codemods.source_codec import SourceText
from advisor.errors import SourceError


def test_round_trip_is_byte_exact() -> None:
    for data in (
        b"x = 1\n",
        b"x = 1\r\ny = 2\r\n",
        codecs.BOM_UTF8 + b"s = '\xc3\xa9'\n",
        "# coding: latin-1\ns = 'é'\n".encode("latin-1"),
        b"",
    ):
        source = SourceText.decode("m.py", data)
        assert source.encode("m.py", source.text) == data


def test_added_lines_take_the_files_line_ending() -> None:
    source = SourceText.decode("m.py", b"x = 1\r\n")
    assert source.newline == "\r\n"
    assert source.encode("m.py", "import os\nx = 1\r\n") == b"import os\r\nx = 1\r\n"


def test_text_the_encoding_cannot_hold_is_an_encoding_error() -> None:
    source = SourceText.decode("m.py", b"# coding: ascii\nx = 1\n")
    with pytest.raises(SourceError) as raised:
        source.encode("m.py", "# coding: ascii\nx = '\u00e9'\n")
    assert raised.value.kind == "encoding"
