"""Reading and parsing one Python file into a libcst module, with failures as SourceError."""

from __future__ import annotations

import ast
import io
import tokenize
import warnings
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from advisor.errors import SourceError


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str
    text: str
    module: cst.Module


def decode_source(path: str, data: bytes) -> str:
    """Decode as Python does: BOM, then the PEP 263 cookie, else UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        raise SourceError(path, "encoding", f"cannot decode source: {exc}") from None


def parse_source(path: str, text: str) -> SourceFile:
    if "\x00" in text:
        raise SourceError(path, "syntax", "source contains a NUL byte")
    try:
        # Python's own parser gives the message users know; only the AST, no bytecode.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings are not ours to print
            compile(text, path, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        raise SourceError(path, "syntax", f"syntax error at line {exc.lineno}: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:
        raise SourceError(path, "syntax", str(exc)) from None
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise SourceError(
            path, "syntax", f"syntax error at line {exc.raw_line}, column {exc.raw_column}"
        ) from None
    except RecursionError:
        raise SourceError(path, "syntax", "code is nested too deeply to parse") from None
    return SourceFile(path=path, text=text, module=module)


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
