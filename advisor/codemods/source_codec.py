"""A source file's bytes as text and back, byte for byte: encoding, BOM and line endings kept.

Rewrites work on text; the file on disk must come back in the encoding its PEP 263 cookie (or
BOM) declares, with its own line endings, so a fix never shows up in a diff as a changed line
that the rewrite did not touch.
"""

from __future__ import annotations

import codecs
import io
import re
import tokenize
from dataclasses import dataclass

from advisor.errors import SourceError

_BARE_LF = re.compile(r"(?<!\r)\n")


@dataclass(frozen=True, slots=True)
class SourceText:
    """The decoded text of a file and what is needed to write it back the same way."""

    text: str
    encoding: str  # as Python detects it: the cookie, "utf-8-sig" with a BOM, else "utf-8"
    newline: str  # "\r\n" or "\n": the file's first line ending

    @classmethod
    def decode(cls, path: str, data: bytes) -> SourceText:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            text = data.decode(encoding)
        except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
            raise SourceError(path, "encoding", f"cannot decode source: {exc}") from None
        first_end = text.find("\n")
        newline = "\r\n" if first_end > 0 and text[first_end - 1] == "\r" else "\n"
        return cls(text, encoding, newline)

    def encode(self, path: str, new_text: str) -> bytes:
        """``new_text`` as bytes in this file's encoding (the BOM again if it had one), with the
        lines a rewrite added given the file's own line ending."""
        if self.newline == "\r\n":
            new_text = _BARE_LF.sub("\r\n", new_text)
        try:
            data = new_text.encode(self.encoding)
        except UnicodeEncodeError as exc:
            raise SourceError(
                path, "encoding", f"the rewrite cannot be written as {self.encoding}: {exc.reason}"
            ) from None
        if self.encoding == "utf-8-sig" and not data.startswith(codecs.BOM_UTF8):
            data = codecs.BOM_UTF8 + data
        return data
