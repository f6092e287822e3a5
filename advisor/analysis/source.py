"""Reading and parsing one Python file, with every failure as a SourceError of a known kind."""

from __future__ import annotations

import ast
import io
import tokenize
import warnings
from dataclasses import dataclass
from pathlib import Path

from advisor.errors import SourceError


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str
    text: str
    tree: ast.Module


def decode_source(path: str, data: bytes) -> str:
    """Decode as Python does: BOM, then the PEP 263 cookie, else UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise SourceError(path, "encoding", f"cannot decode source: {exc}") from None


def parse_source(path: str, text: str) -> SourceFile:
    """Parse with Python's own parser: its messages are the ones users know, and it is fast."""
    if "\x00" in text:
        raise SourceError(path, "syntax", "source contains a NUL byte")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings are not ours to print
            tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        raise SourceError(path, "syntax", f"syntax error at line {exc.lineno}: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        message = str(exc) or "code is nested too deeply to parse"
        raise SourceError(path, "syntax", message) from None
    return SourceFile(path=path, text=text, tree=tree)


def read_source(path: str | Path) -> SourceFile:
    """Read, decode and parse ``path``; every failure is a SourceError naming its kind."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise SourceError(name, "io", "is a directory, not a Python file") from None
    except FileNotFoundError:
        raise SourceError(name, "io", "no such file") from None
    except OSError as exc:
        raise SourceError(name, "io", exc.strerror or str(exc)) from None
    return parse_source(name, decode_source(name, data))
