"""Inline suppression comments: ``# concadvise: ignore`` and ``# concadvise: ignore[CA101, CA205]``.

The rule, kept simple so users can predict it:

- A comment **after code** suppresses findings on its own line.
- A comment **alone on its line** suppresses findings on the line just below it.
- A finding is suppressed when its first line or its last line is suppressed, so the comment can
  sit after the ``for`` header, on the line above it, or after the closing line of a multi-line
  comprehension. Lines in between do not count.

``ignore[...]`` names rule codes or prefixes (``CA1`` covers CA101..CA199); a bare ``ignore``
covers every rule. The directive may follow other text in the comment
(``# noqa: E501  # concadvise: ignore``). Only real comments count: comments are found with
:mod:`tokenize`, so a string holding the same text suppresses nothing. Source that cannot be
tokenized falls back to a per-line regex, which never raises.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Iterator, Mapping

Suppressions = Mapping[int, frozenset[str] | None]  # line -> codes, None = every rule

_DIRECTIVE = re.compile(r"#\s*concadvise:\s*ignore(?:\[([^\]]*)\]|(?![\w\[-]))")


def suppressed_lines(source_text: str) -> dict[int, frozenset[str] | None]:
    """The lines findings are suppressed on, with the codes (None = every rule)."""
    if "concadvise" not in source_text:
        return {}  # most files: skip tokenizing, which costs about as much as parsing
    try:
        comments = list(_comments_by_tokenize(source_text))
    except Exception:  # tokenize raises many types on hostile input; suppression must not
        comments = list(_comments_by_regex(source_text))
    suppressions: dict[int, frozenset[str] | None] = {}
    for line, standalone, text in comments:
        match = _DIRECTIVE.search(text)
        if match is None:
            continue
        codes = _codes_of(match)
        if codes == frozenset():
            continue  # "ignore[]" names nothing, so it suppresses nothing
        target = line + 1 if standalone else line
        previous = suppressions.get(target, frozenset())
        suppressions[target] = None if codes is None or previous is None else previous | codes
    return suppressions


def is_suppressed(suppressions: Suppressions, code: str, first_line: int, last_line: int) -> bool:
    """Whether a finding of ``code`` spanning these lines is silenced by a comment."""
    for line in {first_line, last_line}:
        if line not in suppressions:
            continue
        codes = suppressions[line]
        if codes is None or any(code.startswith(prefix) for prefix in codes):
            return True
    return False


def _lines(source_text: str) -> io.StringIO:
    # Universal newlines: a lone "\r" ends a line for the parser, so it must here too. A BOM
    # left in by the caller's decoding is not indentation.
    return io.StringIO(source_text.removeprefix("\ufeff"), newline=None)


def _comments_by_tokenize(source_text: str) -> Iterator[tuple[int, bool, str]]:
    """(line, alone on its line, text) of each comment token."""
    for token in tokenize.generate_tokens(_lines(source_text).readline):
        if token.type == tokenize.COMMENT and "concadvise" in token.string:
            line, column = token.start
            yield line, not token.line[:column].strip(), token.string


def _comments_by_regex(source_text: str) -> Iterable[tuple[int, bool, str]]:
    """A fallback for untokenizable source; here a string can look like a comment."""
    for number, line in enumerate(_lines(source_text), start=1):
        match = _DIRECTIVE.search(line)
        if match:
            yield number, line.lstrip().startswith("#"), line[match.start() :]


def _codes_of(directive: re.Match[str]) -> frozenset[str] | None:
    """The codes a directive names; None for a bare ``ignore`` (every rule)."""
    if directive.group(1) is None:
        return None
    return frozenset(code.strip() for code in directive.group(1).split(",") if code.strip())
