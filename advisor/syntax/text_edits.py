"""A proposed fix as data: the edits between a file's text and its rewrite, applying them, and the
unified diff they make.

A fix is kept as :class:`~advisor.model.TextEdit` s, the shape SARIF's replacements want, and
everything else is made from them: SARIF copies them, the unified diff is the original text
against the edits applied. Edits count lines as Python does (``\\n``, ``\\r\\n`` or ``\\r`` ends
one), so they point at the same lines as the findings; the diff splits lines at ``\\n`` only, as
``git apply`` and ``patch`` do, and keeps each line's own ending (``\\r\\n`` stays) and the file's
BOM, so the patch applies to the bytes on disk.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence

from advisor.model import TextEdit

_PYTHON_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_PATCH_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")
BOM = "\ufeff"
# Lines of unchanged context around each change in a diff (diff -u's and git's default).
CONTEXT = 3

Opcode = tuple[str, int, int, int, int]


def python_lines(text: str) -> list[str]:
    """``text`` split into lines as Python numbers them, each with its own line ending."""
    return _PYTHON_LINE.findall(text)


def _opcodes(old: Sequence[str], new: Sequence[str]) -> list[Opcode]:
    """difflib's opcodes from ``old`` to ``new``, matching only between the first and last changed
    lines: a fix changes a few lines of a file that may have tens of thousands."""
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    middle = difflib.SequenceMatcher(
        None, old[prefix : len(old) - suffix], new[prefix : len(new) - suffix], autojunk=False
    )
    codes: list[Opcode] = [("equal", 0, prefix, 0, prefix)] if prefix else []
    codes += [
        (tag, i1 + prefix, i2 + prefix, j1 + prefix, j2 + prefix)
        for tag, i1, i2, j1, j2 in middle.get_opcodes()
    ]
    if suffix:
        codes.append(("equal", len(old) - suffix, len(old), len(new) - suffix, len(new)))
    return codes


def _position(lines: Sequence[str], index: int) -> tuple[int, int]:
    """(line, column) of the start of line ``index``; past the last line, the end of the text."""
    if index < len(lines) or not lines or lines[-1].endswith(("\n", "\r")):
        return index + 1, 1
    return len(lines), len(lines[-1]) + 1


def edits_between(before: str, after: str) -> tuple[TextEdit, ...]:
    """The whole-line edits that turn ``before`` into ``after``, one per changed run of lines."""
    old, new = python_lines(before), python_lines(after)
    edits = []
    for tag, i1, i2, j1, j2 in _opcodes(old, new):
        if tag != "equal":
            line, column = _position(old, i1)
            end_line, end_column = _position(old, i2)
            edits.append(TextEdit(line, column, end_line, end_column, "".join(new[j1:j2])))
    return tuple(edits)


def apply_edits(text: str, edits: Sequence[TextEdit]) -> str:
    """``text`` with ``edits`` made; ValueError when they overlap or fall outside the text."""
    starts = [0]
    for line in python_lines(text):
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int) -> int:
        if not 1 <= line <= len(starts) or column < 1:
            raise ValueError(f"position {line}:{column} is outside the text")
        end = starts[line] if line < len(starts) else len(text)
        if starts[line - 1] + column - 1 > end:
            raise ValueError(f"position {line}:{column} is outside the text")
        return starts[line - 1] + column - 1

    pieces = []
    position = 0
    for edit in sorted(edits, key=lambda e: (e.line, e.column)):
        begin, end = offset(edit.line, edit.column), offset(edit.end_line, edit.end_column)
        if begin < position or end < begin:
            raise ValueError(f"edit at {edit.line}:{edit.column} overlaps another or ends first")
        pieces += [text[position:begin], edit.text]
        position = end
    return "".join(pieces) + text[position:]


def _groups(codes: list[Opcode]) -> Iterator[list[Opcode]]:
    """The opcodes in hunks: each change with up to CONTEXT equal lines around it, changes closer
    than twice that sharing one hunk."""
    if codes and codes[0][0] == "equal":
        tag, i1, i2, j1, j2 = codes[0]
        codes[0] = (tag, max(i1, i2 - CONTEXT), i2, max(j1, j2 - CONTEXT), j2)
    if codes and codes[-1][0] == "equal":
        tag, i1, i2, j1, j2 = codes[-1]
        codes[-1] = (tag, i1, min(i2, i1 + CONTEXT), j1, min(j2, j1 + CONTEXT))
    group: list[Opcode] = []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal" and i2 - i1 > 2 * CONTEXT and group:
            group.append((tag, i1, i1 + CONTEXT, j1, j1 + CONTEXT))
            yield group
            group = []
            i1, j1 = i2 - CONTEXT, j2 - CONTEXT
        group.append((tag, i1, i2, j1, j2))
    if group and not (len(group) == 1 and group[0][0] == "equal"):
        yield group


def _range(start: int, stop: int) -> str:
    """A hunk header's range, as diff -u writes it: "5" for one line, "4,0" for none after 4."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + (1 if length else 0)},{length}"


def _patch_line(sign: str, line: str) -> str:
    if line.endswith("\n"):
        return sign + line
    return f"{sign}{line}\n\\ No newline at end of file\n"


def unified_diff(path: str, before: str, after: str, *, bom: bool = False) -> str:
    """The unified diff from ``before`` to ``after`` that ``git apply`` and ``patch -p1`` accept.

    ``a/``/``b/`` prefixes for a relative path, none for an absolute one (``a//tmp/x.py`` would
    name another file). With ``bom`` the file starts with a BOM the texts do not hold: the diff's
    first line of each side carries it, as the bytes do.
    """
    if before == after:
        return ""
    if bom:
        before, after = BOM + before, BOM + after
    old, new = _PATCH_LINE.findall(before), _PATCH_LINE.findall(after)
    old_name, new_name = (path, path) if path.startswith("/") else (f"a/{path}", f"b/{path}")
    out = [f"--- {old_name}\n", f"+++ {new_name}\n"]
    for group in _groups(_opcodes(old, new)):
        first, last = group[0], group[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [_patch_line(" ", line) for line in old[i1:i2]]
                continue
            out += [_patch_line("-", line) for line in old[i1:i2]]
            out += [_patch_line("+", line) for line in new[j1:j2]]
    return "".join(out)
