"""`concadvise fix` as a function: find the fixable findings of each file, rewrite them one at a
time, and write the file once, atomically, only if it did not change meanwhile.

Fixes are applied one per pass and the file is analysed again after each, so a fix always sees
the lines as they are now (an earlier rewrite moves later lines) and a fix that creates a new
finding (a pool inside a loop after an inner loop was rewritten) gets fixed in turn. The loop
ends when no fixable finding is left: a second `fix` run therefore changes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from advisor.advice.decision import available_cores
from advisor.analysis.detectors import analyse_content
from advisor.analysis.discovery import discover
from advisor.analysis.knowledge import CallKnowledge, load_knowledge
from advisor.check import BATCH_SIZE, MIN_FILES_FOR_PROCESSES
from advisor.codemods.apply import file_diff, fixer_crash
from advisor.codemods.fixers import LOCAL_POOLS, FixTarget, RewriteError
from advisor.codemods.judgement import NO_REWRITE, confirmed_by_fixers
from advisor.codemods.writing import write_atomically
from advisor.config import Config, find_config
from advisor.display import display_path
from advisor.errors import SourceError
from advisor.model import ErrorEntry, Finding
from advisor.syntax.source import Source

# A file gets at most this many fixes per run: far above any real file's findings, it only
# stops a pair of fixes that would undo each other from looping forever.
MAX_FIXES_PER_FILE = 200
UNCHANGED = "; the file is unchanged"


@dataclass(frozen=True, slots=True)
class FixRequest:
    paths: tuple[str, ...]
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    write: bool = True  # False for --diff: compute everything, write nothing
    jobs: int = 0  # worker processes: 0 for one per available core
    target: FixTarget = LOCAL_POOLS  # local pools, or a Dask cluster for loop fixes


@dataclass(frozen=True, slots=True)
class SkippedFix:
    """A fixable finding left as it was, and why (refused by its codemod, or unsafe)."""

    finding: Finding
    reason: str


@dataclass(frozen=True, slots=True)
class FileFix:
    path: str  # as the user gave it
    applied: tuple[Finding, ...]  # each as it was found just before its rewrite
    skipped: tuple[SkippedFix, ...]
    diff: str  # unified diff of the whole file, "" when nothing changed
    written: bool
    encoding: str = "utf-8"  # the file's, as Python detects it ("utf-8-sig" with a BOM)

    def patch(self) -> bytes:
        """The diff as the bytes ``git apply`` and ``patch`` match against the file: its lines in
        the file's own encoding (a latin-1 file's in latin-1), its paths as the file system has
        them."""
        if not self.diff:
            return b""
        old, new, body = self.diff.split("\n", 2)
        encoding = "utf-8" if self.encoding == "utf-8-sig" else self.encoding  # BOM is in body
        return os.fsencode(f"{old}\n{new}\n") + body.encode(encoding)


@dataclass(frozen=True, slots=True)
class FixReport:
    files: tuple[FileFix, ...]
    errors: tuple[ErrorEntry, ...]

    @property
    def applied(self) -> int:
        return sum(len(f.applied) for f in self.files)

    @property
    def changed_files(self) -> int:
        return sum(1 for f in self.files if f.applied)

    @property
    def skipped(self) -> tuple[SkippedFix, ...]:
        return tuple(s for f in self.files for s in f.skipped)


def _line_text(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


@dataclass(frozen=True, slots=True)
class FixPolicy:
    """Which findings a run may rewrite: enabled by config, with a fixer, and safe enough."""

    config: Config
    unsafe_fixes: bool
    target: FixTarget = LOCAL_POOLS

    def _fixable(self, finding: Finding) -> bool:
        return (
            self.config.is_rule_enabled(finding.rule, finding.path)
            and self.target.fixer(finding) is not None
        )

    def wants(self, finding: Finding) -> bool:
        allowed = ("safe", "unsafe") if self.unsafe_fixes else ("safe",)
        return self._fixable(finding) and self.target.judged(finding).safety in allowed

    def withheld(self, finding: Finding) -> str | None:
        """Why an enabled finding is not rewritten in this run, if it is not: no rewrite exists
        (`none`, the reasons `check` shows), or it is unsafe and --unsafe-fixes was not given."""
        if not self.config.is_rule_enabled(finding.rule, finding.path):
            return None
        judged = self.target.judged(finding)
        if judged.safety == "none":
            return "; ".join(judged.reasons) or NO_REWRITE
        if self.unsafe_fixes or judged.safety != "unsafe" or not self._fixable(finding):
            return None
        why = "; ".join(judged.reasons) or "its safety could not be proven"
        return f"unsafe ({why}); rerun with --unsafe-fixes to apply it"


def fix_text(
    path: str,
    source: Source,
    policy: FixPolicy,
    knowledge: CallKnowledge,
) -> tuple[str, list[Finding], list[SkippedFix]]:
    """Apply every wanted fix to one file's text; returns the new text, applied and skipped."""
    text = source.text
    applied: list[Finding] = []
    skipped: list[SkippedFix] = []
    refused: set[tuple[str, str]] = set()  # (rule, text of its line): do not try it again
    # concadvise: ignore[CA102]: each pass rewrites the text of the one before
    for _ in range(MAX_FIXES_PER_FILE):
        result = analyse_content(path, source.encode(path, text), knowledge)
        if result.errors:
            raise SourceError(path, result.errors[0].kind, result.errors[0].message)
        todo = [
            f
            for f in result.findings
            if policy.wants(f) and (f.rule, _line_text(text, f.line)) not in refused
        ]
        if not todo:
            break
        finding = todo[0]
        key = (finding.rule, _line_text(text, finding.line))
        fixer = policy.target.fixer(finding)
        if fixer is None:  # wants() said it has one; a target that changed its mind refuses
            refused.add(key)
            continue
        try:
            new_text = fixer(text, finding)
            compile(new_text, path, "exec", dont_inherit=True)
        except (RewriteError, SyntaxError, ValueError) as exc:
            refused.add(key)  # the words `check` shows for it (advisor/codemods/judgement.py)
            skipped.append(SkippedFix(finding, f"{NO_REWRITE}: {exc}"))
            continue
        except Exception as exc:  # a bug of ours: this file is left alone, the others proceed
            raise SourceError(path, "internal", f"{fixer_crash(finding, exc)}{UNCHANGED}") from exc
        if new_text == text:
            refused.add(key)
            skipped.append(SkippedFix(finding, "not rewritten: the rewrite changed nothing"))
            continue
        applied.append(finding)
        text = new_text
    else:
        raise SourceError(path, "internal", f"fixes did not settle after {MAX_FIXES_PER_FILE}")
    # the last pass analysed the text as it ends: judged as `check` judges it, no second analysis
    final, crashed = confirmed_by_fixers(result.findings, text)
    if crashed:
        raise SourceError(path, "internal", f"{crashed[0].message}{UNCHANGED}")
    skipped += [
        SkippedFix(f, reason)
        for f in final
        if (f.rule, _line_text(text, f.line)) not in refused
        and (reason := policy.withheld(f)) is not None
    ]
    return text, applied, skipped


def _fix_file(
    path: str, policy: FixPolicy, knowledge: CallKnowledge, write: bool
) -> FileFix | ErrorEntry:
    shown = display_path(path)
    try:
        original = Path(path).read_bytes()
        source = Source.decode(path, original)
        text, applied, skipped = fix_text(path, source, policy, knowledge)
        if text == source.text:
            return FileFix(shown, (), tuple(skipped), "", written=False)
        data = source.encode(path, text)
        if write:
            write_atomically(path, data, expected=original)
    except SourceError as exc:
        return ErrorEntry(shown, exc.kind, exc.detail)  # type: ignore[arg-type]
    except OSError as exc:
        reason = exc.strerror.lower() if exc.strerror else str(exc)
        return ErrorEntry(shown, "io", f"not written: {reason}{UNCHANGED}")
    except Exception as exc:  # a bug of ours on this file must not stop the rest of the tree
        return ErrorEntry(shown, "internal", f"{type(exc).__name__}: {exc}{UNCHANGED}")
    return FileFix(
        shown,
        tuple(applied),
        tuple(skipped),
        file_diff(shown, source, text),
        write,
        source.encoding,
    )


def _fix_batch(
    paths: list[str], policy: FixPolicy, knowledge: CallKnowledge, write: bool
) -> list[FileFix | ErrorEntry]:
    # concadvise: ignore[CA101]: one worker's batch: the batches are what runs in parallel
    return [_fix_file(path, policy, knowledge, write) for path in paths]


def _fix_all(
    files: list[str],
    policy: FixPolicy,
    knowledge: CallKnowledge,
    write: bool,
    jobs: int,
    advance: Callable[[int], None],
) -> list[FileFix | ErrorEntry]:
    """Every file's outcome, in the order of ``files``: across worker processes for a tree (each
    file is fixed and written on its own, as `check` analyses them), in this one for a few."""
    if jobs <= 1 or len(files) < MIN_FILES_FOR_PROCESSES:
        outcomes: list[FileFix | ErrorEntry] = []
        # concadvise: ignore[CA101]: a few files; the tree case is the pool below
        for path in files:
            outcomes += _fix_batch([path], policy, knowledge, write)
            advance(1)
        return outcomes
    batches = [files[i : i + BATCH_SIZE] for i in range(0, len(files), BATCH_SIZE)]
    results: list[FileFix | ErrorEntry] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_fix_batch, batch, policy, knowledge, write) for batch in batches]
        for batch, future in zip(batches, futures, strict=True):
            results += future.result()
            advance(len(batch))
    return results


def fix_paths(
    request: FixRequest,
    on_progress: Callable[[int, int], None] | None = None,
    config: Config | None = None,
) -> FixReport:
    """Fix every file under ``request.paths``; ``on_progress(done, total)`` as files finish."""
    config = config or find_config(request.paths[0] if request.paths else Path.cwd())
    config = config.with_overrides(
        select=request.select, ignore=request.ignore, exclude=request.exclude
    )
    files, errors = discover(request.paths, config)
    policy = FixPolicy(config, request.unsafe_fixes, request.target)
    knowledge = load_knowledge()
    fixed: list[FileFix] = []
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if on_progress is not None:
            on_progress(done, len(files))

    jobs = request.jobs or available_cores()
    for outcome in _fix_all(files, policy, knowledge, request.write, jobs, advance):
        if isinstance(outcome, ErrorEntry):
            errors.append(outcome)
        elif outcome.applied or outcome.skipped:
            fixed.append(outcome)
    return FixReport(
        files=tuple(fixed),
        errors=tuple(ErrorEntry(display_path(e.path), e.kind, e.message) for e in errors),
    )
