"""The commands as functions: each wires the stages together and returns a Report.

The CLI only parses arguments, calls one of these and renders what it returns.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from advisor import __version__
from advisor.advice.findings import AdviceSettings, profiled_findings
from advisor.analysis.facts import module_facts
from advisor.analysis.knowledge import CallKnowledge, load_knowledge
from advisor.analysis.loops import find_loop_sites
from advisor.analysis.source import read_source
from advisor.codemods.apply import attach_proposed_diffs, rewrite_file_bytes
from advisor.codemods.thread_pool import RewriteError
from advisor.config import find_config
from advisor.display import display_path
from advisor.errors import ScriptFailed, SourceError, UsageError
from advisor.model import ErrorEntry, Finding, LoopSite, Report, RunInfo, Verification
from advisor.profiling.attribution import enclosing_loops, evidence_by_site, user_files
from advisor.profiling.pyspy_adapter import MESSAGE_PREFIX as PYSPY_PREFIX
from advisor.profiling.runner import CompletedRun
from advisor.profiling.select import ProfilerChoice, profile_script_with
from advisor.verify.verifier import verify_rewrite


def _relative(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(replace(f, path=display_path(f.path)) for f in findings)


def _sites_of(path: str, knowledge: CallKnowledge, errors: list[ErrorEntry]) -> list[LoopSite]:
    try:
        return find_loop_sites(module_facts(read_source(path), knowledge))
    except SourceError as exc:
        errors.append(ErrorEntry(display_path(exc.path), exc.kind, exc.detail))  # type: ignore[arg-type]
    except RecursionError:
        errors.append(ErrorEntry(display_path(path), "syntax", "code is nested too deeply"))
    return []


# ----------------------------------------------------------------------------- profile


@dataclass(frozen=True, slots=True)
class ProfileRequest:
    script: str
    args: tuple[str, ...] = ()
    timeout: float | None = None
    settings: AdviceSettings = field(default_factory=AdviceSettings)
    profiler: ProfilerChoice = "auto"


def advice_settings_for(script: str, min_share: float | None = None) -> AdviceSettings:
    """Thresholds from the script's `[tool.concadvise]`, the command line winning."""
    config = find_config(Path(script).parent if Path(script).parent.exists() else Path.cwd())
    return AdviceSettings(
        min_share=config.min_share if min_share is None else min_share,
        min_speedup=config.min_speedup,
        max_io_workers=config.max_io_workers,
    )


def _script_failure(run: CompletedRun, timeout: float | None) -> str | None:
    if run.timed_out:
        return f"the script ran past --timeout {timeout:g}s; its whole process group was killed"
    if run.exit_code != 0:
        last = last_error_line(run.stderr)
        detail = f": {last}" if last else ""
        return f"the script exited with code {run.exit_code}{detail}"
    return None


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b")


def last_error_line(stderr: bytes) -> str:
    """The script's own last words: its exception line if it raised, else its last line.

    Profilers add their own banner after the script's output; those lines are skipped.
    """
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    lines = [
        line
        for line in lines
        if line and not line.startswith(("Scalene:", "To view", PYSPY_PREFIX))
    ]
    for line in reversed(lines):
        if _EXCEPTION_LINE.match(line):
            return line
    return lines[-1] if lines else ""


def validate_script(script: str) -> str:
    path = Path(script)
    if not path.exists():
        raise UsageError(f"no such script: {script}")
    if not path.is_file():
        raise UsageError(f"not a file: {script}")
    read_source(path)  # a script that does not parse is reported before anything runs
    return str(path.resolve())


def profile_script(
    request: ProfileRequest, on_notice: Callable[[str], None] = lambda _message: None
) -> Report:
    """Run the script under the profiler and advise on its hot loops.

    ``on_notice`` hears about a profiler fallback (``--profiler auto``) in one line.
    """
    script = validate_script(request.script)
    knowledge = load_knowledge()
    profile, run = profile_script_with(
        request.profiler,
        request.script,
        request.args,
        cwd=None,
        timeout=request.timeout,
        on_notice=on_notice,
    )
    failure = _script_failure(run, request.timeout)
    if profile is None:
        reason = failure or _profiler_failure(run)
        raise ScriptFailed(f"{reason}; nothing was measured")
    errors: list[ErrorEntry] = []
    if failure:
        errors.append(
            ErrorEntry(
                display_path(script), "script", f"{failure}; the findings cover what ran before"
            )
        )
    sites: list[LoopSite] = []
    for path in user_files(profile) or [script]:
        sites.extend(_sites_of(path, knowledge, errors))
    evidence = evidence_by_site(profile, sites)
    findings = profiled_findings(
        evidence, profile.wall_s, request.settings, enclosing_loops(profile, sites)
    )
    findings = attach_proposed_diffs(_relative(findings))
    return Report(
        tool_version=__version__,
        findings=tuple(findings),
        errors=tuple(errors),
        run=RunInfo(
            wall_s=profile.wall_s,
            profiler=profile.profiler,
            exit_code=run.exit_code,
            timed_out=run.timed_out,
        ),
    )


def _profiler_failure(run: CompletedRun) -> str:
    lines = run.stderr.decode("utf-8", "replace").strip().splitlines()
    return "the profiler failed" + (f": {lines[-1].strip()}" if lines else "")


# ----------------------------------------------------------------------------- apply


def apply_and_verify(
    report: Report,
    request: ProfileRequest,
    runs: int,
    on_run: Callable[[str], None] | None = None,
) -> Report:
    """Rewrite each safe thread-pool finding, verify it by timed runs, keep it only if it wins.

    Loops are rewritten bottom-up within a file so a kept rewrite never moves a later target.
    """
    command = [sys.executable, request.script, *request.args]
    verifications: list[Verification] = []
    errors = list(report.errors)
    eligible = [
        (index, f)
        for index, f in enumerate(report.findings)
        if f.fix_safety == "safe" and f.suggestion == "thread_pool" and f.workers
    ]
    eligible.sort(key=lambda pair: (pair[1].path, -pair[1].line))
    for index, finding in eligible:
        original = Path(finding.path).read_bytes()
        try:
            rewritten = rewrite_file_bytes(finding.path, original, {finding.line: finding.workers})
        except (RewriteError, SyntaxError) as exc:
            errors.append(ErrorEntry(finding.path, "internal", f"rewrite failed: {exc}"))
            continue
        outcome = verify_rewrite(
            finding.path,
            original,
            rewritten,
            command,
            cwd=None,
            runs=runs,
            timeout=request.timeout,
            on_run=on_run,
        )
        verifications.append(
            Verification(
                finding=index,
                before_s=outcome.before_s,
                after_s=outcome.after_s,
                speedup=round(outcome.speedup, 3),
                same_output=outcome.same_output,
                kept=outcome.kept,
                reason=outcome.reason,
            )
        )
    verifications.sort(key=lambda v: v.finding)
    return replace(report, verification=tuple(verifications), errors=tuple(errors))
