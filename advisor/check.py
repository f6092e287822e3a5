"""`concadvise check` as a function: discover files, analyse each (in parallel, from the cache
when unchanged), filter by config, and return one Report. Nothing of the user's code is run."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from advisor import __version__
from advisor.advice.decision import available_cores
from advisor.analysis.cache import CachedResult, FindingsCache, default_cache_dir
from advisor.analysis.discovery import discover
from advisor.analysis.knowledge import CallKnowledge, load_knowledge
from advisor.cache_key import findings_cache_key
from advisor.codemods.apply import attach_proposed_diffs
from advisor.codemods.judgement import analyse_and_confirm
from advisor.config import Config, find_config
from advisor.display import display_path
from advisor.errors import SourceError
from advisor.fingerprint import with_fingerprints
from advisor.model import ErrorEntry, Finding, Report
from advisor.syntax.source import Source

# Below this many files to analyse, starting worker processes (each imports libcst) costs more
# than it saves.
MIN_FILES_FOR_PROCESSES = 16
# Files per task sent to a worker: large enough to amortise pickling, small enough to balance.
BATCH_SIZE = 32


@dataclass(frozen=True, slots=True)
class CheckRequest:
    paths: tuple[str, ...]
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    use_cache: bool = True
    jobs: int = 0  # 0: one per available core
    with_diffs: bool = False  # attach the diff of each safe rewrite (for SARIF, Markdown, HTML)


def _analyse_batch(batch: list[tuple[str, bytes]], knowledge: CallKnowledge) -> list[CachedResult]:
    return [analyse_and_confirm(path, content, knowledge) for path, content in batch]


def _read(path: str) -> bytes | ErrorEntry:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        return ErrorEntry(path, "io", (exc.strerror or str(exc)).lower())


def _analyse_all(
    todo: list[tuple[str, bytes]],
    knowledge: CallKnowledge,
    jobs: int,
    on_done: Callable[[int], None],
) -> list[CachedResult]:
    if jobs <= 1 or len(todo) < MIN_FILES_FOR_PROCESSES:
        results = []
        for item in todo:
            results.extend(_analyse_batch([item], knowledge))
            on_done(1)
        return results
    # big files first so no worker is left with one huge file at the end
    order = sorted(range(len(todo)), key=lambda i: -len(todo[i][1]))
    batches = [order[i : i + BATCH_SIZE] for i in range(0, len(order), BATCH_SIZE)]
    results: list[CachedResult | None] = [None] * len(todo)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [
            (batch, pool.submit(_analyse_batch, [todo[i] for i in batch], knowledge))
            for batch in batches
        ]
        for batch, future in futures:
            for index, result in zip(batch, future.result(), strict=True):
                results[index] = result
            on_done(len(batch))
    return [r for r in results if r is not None]


def _shown_texts(paths: set[str], contents: dict[str, bytes]) -> dict[str, str]:
    """The source text of each of ``paths``, keyed by the path as the report shows it."""
    texts = {}
    for path in paths:
        try:
            texts[display_path(path)] = Source.decode(path, contents[path]).text
        except (KeyError, SourceError):
            continue  # its findings get the line-number fingerprint
    return texts


def check_paths(
    request: CheckRequest,
    on_progress: Callable[[int, int], None] | None = None,
    config: Config | None = None,
) -> Report:
    """Static findings over files and directories; ``on_progress(done, total)`` as files finish."""
    config = config or find_config(request.paths[0] if request.paths else Path.cwd())
    config = config.with_overrides(
        select=request.select, ignore=request.ignore, exclude=request.exclude
    )
    files, errors = discover(request.paths, config)
    knowledge = load_knowledge()
    cache = (
        FindingsCache(default_cache_dir(), __version__, findings_cache_key(config))
        if request.use_cache
        else None
    )

    results: dict[str, CachedResult] = {}
    contents: dict[str, bytes] = {}
    todo: list[tuple[str, bytes]] = []
    # concadvise: ignore[CA101]: local reads, ~0.1 ms a file; the analysis is the parallel part
    for path in files:
        content = _read(path)
        if isinstance(content, ErrorEntry):
            errors.append(content)
            continue
        contents[path] = content
        cached = cache.get(path, content) if cache is not None else None
        if cached is not None:
            results[path] = cached
        else:
            todo.append((path, content))
    done = len(results)
    total = len(files)

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if on_progress is not None:
            on_progress(done, total)

    jobs = request.jobs or available_cores()
    analysed = _analyse_all(todo, knowledge, jobs, advance)
    for (path, content), result in zip(todo, analysed, strict=True):
        results[path] = result
        if cache is not None:
            cache.put(path, content, result)

    findings: list[Finding] = []
    for path in files:
        result = results.get(path)
        if result is None:
            continue
        findings += [f for f in result.findings if config.is_rule_enabled(f.rule, f.path)]
        errors += result.errors
    findings.sort(key=lambda f: (f.path, f.line, f.rule))
    texts = _shown_texts({f.path for f in findings}, contents)
    findings = [replace(f, path=display_path(f.path)) for f in findings]
    findings = with_fingerprints(findings, texts)
    errors = [replace(e, path=display_path(e.path)) for e in errors]
    if request.with_diffs:  # with the paths as shown, which the diffs and edits name
        findings, failed = attach_proposed_diffs(findings)
        errors += failed
    return Report(tool_version=__version__, findings=tuple(findings), errors=tuple(errors))
