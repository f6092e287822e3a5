"""The commands as functions: each wires the stages together and returns a Report.

The CLI only parses arguments, calls one of these and renders what it returns.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from advisor import __version__
from advisor.advice.calibration import load_overheads
from advisor.advice.decision import free_cores
from advisor.advice.findings import (
    DASK_THRESHOLD_S,
    AdviceSettings,
    pool_findings,
    profiled_findings,
)
from advisor.advice.plan import indexed_plan, plan_findings
from advisor.advice.started import waited_loops, with_started_work
from advisor.analysis.detectors import detect_async_rules, detect_pool_rules
from advisor.analysis.facts import ModuleFacts, module_facts
from advisor.analysis.knowledge import CallKnowledge, load_knowledge
from advisor.analysis.loops import find_loop_sites
from advisor.analysis.project import ProjectModules
from advisor.analysis.suppression import Suppressions, is_suppressed, suppressed_lines
from advisor.codemods.apply import (
    attach_proposed_diffs,
    fixed_file_bytes,
    fixer_crash,
    is_applied_by_profile,
)
from advisor.codemods.dask_executor import DASK_LOG_LINES
from advisor.codemods.errors import RewriteError
from advisor.codemods.judgement import confirmed_by_fixers
from advisor.codemods.moved import moved_finding
from advisor.codemods.ray_executor import RAY_LOG_LINES
from advisor.codemods.writing import write_atomically
from advisor.config import Config, find_config
from advisor.display import display_path
from advisor.errors import ScriptFailed, SourceError, UsageError
from advisor.fingerprint import with_fingerprints
from advisor.model import (
    ErrorEntry,
    Evidence,
    Finding,
    LoopSite,
    Machine,
    PoolSite,
    ProfileResult,
    ProfileSession,
    Report,
    RunInfo,
    Verification,
)
from advisor.profiling.attach import attach_with_pyspy
from advisor.profiling.attribution import (
    enclosing_loops,
    evidence_by_site,
    lines_evidence,
    main_thread_seconds,
    pool_evidence,
    user_files,
    with_gil_releases,
)
from advisor.profiling.exits import killed_by
from advisor.profiling.interpreter import find_interpreter
from advisor.profiling.machine_load import busy_fraction
from advisor.profiling.pool_sites import find_pool_sites
from advisor.profiling.pyspy_adapter import MESSAGE_PREFIX as PYSPY_PREFIX
from advisor.profiling.runner import CompletedRun
from advisor.profiling.select import ProfilerChoice, profile_script_with
from advisor.profiling.session import load_session, session_to_text, source_digests
from advisor.profiling.target import Target, module_target
from advisor.syntax.source import Source
from advisor.verify.equivalence import OutputRule
from advisor.verify.verifier import measured_speedup, verify_rewrite


def _relative(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(replace(f, path=display_path(f.path)) for f in findings)


def _facts_of(path: str, knowledge: CallKnowledge, errors: list[ErrorEntry]) -> ModuleFacts | None:
    try:
        project = ProjectModules.around(path, knowledge)
        return module_facts(Source.read(path).parsed(), knowledge, project)
    except SourceError as exc:
        errors.append(ErrorEntry(display_path(exc.path), exc.kind, exc.detail))  # type: ignore[arg-type]
    except RecursionError:
        errors.append(ErrorEntry(display_path(path), "syntax", "code is nested too deeply"))
    return None


def _sites_of(
    facts: ModuleFacts, errors: list[ErrorEntry]
) -> tuple[list[LoopSite], list[PoolSite]]:
    try:
        return find_loop_sites(facts), find_pool_sites(facts)
    except RecursionError:
        errors.append(ErrorEntry(display_path(facts.path), "syntax", "code is nested too deeply"))
    except Exception as exc:
        # a bug of ours on one file: its loops go unreported, the rest of the run does not
        errors.append(
            ErrorEntry(display_path(facts.path), "internal", f"{type(exc).__name__}: {exc}")
        )
    return [], []


# Fewer free cores than the machine's by more than this: another program competed for the run.
CONTENDED_CORES = 0.5


# The loop rules a profile judges by measuring the loops (profiled_findings), not from source.
_MEASURED_RULES = frozenset({"CA101", "CA102", "CA103", "CA104"})


def _static_findings_of(facts: ModuleFacts, errors: list[ErrorEntry]) -> list[Finding]:
    """The pool and asyncio rules' findings of a profiled file (CA104's too, which the profile
    measures); a bug of ours on the file is its `internal` error, as in `check`."""
    try:
        # CA104 down to two items: the run tells whether a few long awaits are worth gathering
        return detect_pool_rules(facts) + detect_async_rules(facts, min_items=2)
    except RecursionError:
        return []  # _sites_of already reported the file
    except Exception as exc:
        errors.append(
            ErrorEntry(display_path(facts.path), "internal", f"{type(exc).__name__}: {exc}")
        )
        return []


def _measured_static(
    findings: Iterable[Finding], profile: ProfileResult, main_s: float
) -> list[Finding]:
    """Static findings of the profiled files with the share of the run their lines took, so the
    report ranks a blocking call in a hot coroutine beside the hot loops."""
    return [
        replace(f, evidence=lines_evidence(profile, f.path, f.line, f.end_line, main_s))
        for f in findings
        if f.rule not in _MEASURED_RULES
    ]


def _by_measured_impact(findings: list[Finding]) -> list[Finding]:
    """Measured findings first, the largest share of the run first; unmeasured ones after, in
    their order (stable)."""
    return sorted(findings, key=lambda f: -(f.evidence.share_of_run if f.evidence else -1.0))


def _not_silenced(
    findings: Iterable[Finding], config: Config, suppressions: Mapping[str, Suppressions]
) -> list[Finding]:
    """What `check` would show of these: rules the config enables for the file, and no
    `# concadvise: ignore` on the finding's lines. A loop the user silenced after review must
    not come back in the profile, nor be rewritten by --apply."""
    return [
        f
        for f in findings
        if config.is_rule_enabled(f.rule, f.path)
        and not is_suppressed(suppressions.get(f.path, {}), f.rule, f.line, f.end_line)
    ]


# ----------------------------------------------------------------------------- profile


@dataclass(frozen=True, slots=True)
class ProfileRequest:
    script: str  # the script; ignored when ``module`` is given
    args: tuple[str, ...] = ()
    timeout: float | None = None
    settings: AdviceSettings = field(default_factory=AdviceSettings)
    profiler: ProfilerChoice = "auto"
    module: str | None = None  # profile `python -m module` instead of a script
    pass_stdin: bool = False  # give the program concadvise's stdin (else it reads nothing)
    # a file every run reads from its start, the profiled one and --apply's timed ones
    stdin_path: str | None = None
    measure_overheads: bool = True  # False: the default pool overheads, no calibration run
    save_profile: str | None = None  # write the measured run here (see profiling/session.py)
    load_profile: str | None = None  # advise from this saved run of ``script``; nothing runs
    # the Python that runs the program (a path or a name on PATH); None: the active virtual
    # environment's, else the first on PATH (advisor/profiling/interpreter.py)
    python: str | None = None
    # regular expressions of the program's own noise, not compared by --apply's runs
    output_masks: tuple[str, ...] = ()
    # attach to this running process instead of running the script, for ``duration`` seconds
    pid: int | None = None
    duration: float = 10.0


def advice_settings_for(
    script: str,
    min_share: float | None = None,
    executor: str = "local",
    dask_threshold_s: float = DASK_THRESHOLD_S,
) -> AdviceSettings:
    """Thresholds from the script's `[tool.concadvise]`, the command line winning."""
    config = find_config(Path(script).parent if Path(script).parent.exists() else Path.cwd())
    return AdviceSettings(
        min_share=config.min_share if min_share is None else min_share,
        min_speedup=config.min_speedup,
        max_io_workers=config.max_io_workers,
        executor=executor,
        dask_threshold_s=dask_threshold_s,
    )


def _script_failure(run: CompletedRun, timeout: float | None) -> str | None:
    if run.timed_out:
        stopped = f"the script ran past --timeout {timeout:g}s; its whole process group was killed"
        return stopped + (f", and with it {run.killed_text()}" if run.killed else "")
    if run.exit_code < 0:
        return f"the script was {killed_by(-run.exit_code)}"
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
    Source.read(path).parsed()  # a script that does not parse is reported before anything runs
    return str(path.resolve())


def target_of(request: ProfileRequest) -> Target:
    """What to run, checked before anything runs (a missing script or module, a syntax error)."""
    if request.module is None:
        validate_script(request.script)
    interpreter = find_interpreter(request.python)
    if request.module is not None:
        target = module_target(
            request.module,
            request.args,
            pass_stdin=request.pass_stdin,
            stdin_path=request.stdin_path,
            interpreter=interpreter,
        )
        validate_script(target.path)
        return target
    return Target(
        path=request.script,
        args=request.args,
        pass_stdin=request.pass_stdin,
        stdin_path=request.stdin_path,
        interpreter=interpreter,
    )


def python_command(request: ProfileRequest) -> list[str]:
    """The user's own command line, for the timed runs of --apply."""
    return target_of(request).command()


def profile_script(
    request: ProfileRequest, on_notice: Callable[[str], None] = lambda _message: None
) -> Report:
    """Run the script under the profiler (or, with ``request.load_profile``, read a run saved
    with ``save_profile``) and advise on its hot loops and its pools.

    ``on_notice`` hears about a profiler fallback (``--profiler auto``) in one line.
    """
    if request.load_profile is not None:
        validate_script(request.script)
        session = load_session(request.load_profile, request.script)
    else:
        session = record_profile(request, on_notice)
        if request.save_profile is not None:
            write_atomically(request.save_profile, session_to_text(session).encode("utf-8"))
    return advise_profile(session, request.settings, on_notice)


def record_profile(
    request: ProfileRequest, on_notice: Callable[[str], None] = lambda _message: None
) -> ProfileSession:
    """Run the script under the profiler: what it measured, and the machine facts the advice
    needs (cores, the cores others leave free, the pools' overheads here)."""
    if request.pid is not None:
        return _attached_profile(request, request.pid)
    target = target_of(request)
    # what other programs use now, before ours starts (the load average lags by a minute)
    busy_before = busy_fraction() if not request.settings.free_cores else None
    profile, run = profile_script_with(
        request.profiler, target, timeout=request.timeout, on_notice=on_notice
    )
    failure = _script_failure(run, request.timeout)
    if run.left_running:
        on_notice(
            f"the script left processes running when it ended, killed with it: {run.killed_text()}"
        )
    if profile is None:
        reason = failure or _profiler_failure(run)
        raise ScriptFailed(f"{reason}; nothing was measured")
    cores = request.settings.core_count()
    free = request.settings.free_cores
    if not free and busy_before is not None:
        free = free_cores(cores, busy_before * cores, 0.0)
    elif not free and hasattr(os, "getloadavg"):
        free = free_cores(cores, os.getloadavg()[0])
    return ProfileSession(
        profile=profile,
        machine=_machine(request, free),
        sources=source_digests(user_files(profile) or [profile.script]),
        timed_out=run.timed_out,
        failure=failure,
        python=target.interpreter.executable,
        python_version=target.interpreter.version_text,
    )


def _attached_profile(request: ProfileRequest, pid: int) -> ProfileSession:
    """Sample the running process ``pid`` (advisor/profiling/attach.py)."""
    profile, target = attach_with_pyspy(pid, request.duration)
    # the load now includes the process itself: what others leave free cannot be told apart
    return ProfileSession(
        profile=profile,
        machine=_machine(request, request.settings.free_cores),
        sources=source_digests(user_files(profile)),
        python=target.interpreter.executable,
        python_version=target.interpreter.version_text,
    )


def _machine(request: ProfileRequest, free: float) -> Machine:
    """The machine facts the advice needs: its cores, the cores others left free (all, when
    unknown) and the pools' overheads here (measured once per machine, then from the cache)."""
    settings = request.settings
    cores = settings.core_count()
    overheads = load_overheads(cores=cores) if request.measure_overheads else settings.overheads
    return Machine(cores=cores, free_cores=free or float(cores), overheads=overheads)


def advise_profile(
    session: ProfileSession,
    settings: AdviceSettings,
    on_notice: Callable[[str], None] = lambda _message: None,
) -> Report:
    """The findings of a profiled run: its hot loops and its pools, judged on the machine it ran
    on, in the sources it measured (which the caller has checked are unchanged)."""
    profile = session.profile
    script = profile.script
    knowledge = load_knowledge()
    machine = session.machine
    # The advice is for the machine's cores (all of them, or --cores when the run was recorded),
    # all free, whatever the load was at the moment of profiling: a verdict that flipped with
    # another program's work would not be one. A contended run is said, not priced in.
    cores = machine.cores
    settings = replace(settings, cores=cores, free_cores=float(cores), overheads=machine.overheads)
    if machine.free_cores < machine.cores - CONTENDED_CORES:
        on_notice(
            f"the machine was busy while the script ran: about {machine.free_cores:.1f} of its "
            f"{machine.cores} cores were free, so the measured times may be longer than on a "
            f"quiet machine; the advice is for {cores} free cores (--cores sets the count)"
        )
    started = time.perf_counter()
    errors: list[ErrorEntry] = []
    if session.failure:
        errors.append(
            ErrorEntry(
                display_path(script),
                "script",
                f"{session.failure}; the findings cover what ran before",
            )
        )
    all_loops: list[LoopSite] = []
    pools: list[PoolSite] = []
    serial_awaits: dict[tuple[str, int], Finding] = {}
    static: list[Finding] = []
    suppressions: dict[str, Suppressions] = {}
    texts: dict[str, str] = {}  # by the path as the report shows it, for the fingerprints
    attached = profile.attached_pid is not None
    # concadvise: ignore[CA102]: the user's files a profile saw, each parsed once
    for path in user_files(profile) or ([] if attached else [script]):
        facts = _facts_of(path, knowledge, errors)
        if facts is not None:
            texts[display_path(facts.path)] = facts.source.text
            loops, pools_here = _sites_of(facts, errors)
            all_loops += loops
            pools += pools_here
            found = _static_findings_of(facts, errors)
            serial_awaits.update({(f.path, f.line): f for f in found if f.rule == "CA104"})
            static += found
            suppressions[facts.path] = suppressed_lines(facts.source.text)
    # a loop that starts or joins work already concurrent is not a serial loop of work (its
    # starts judge CA201/CA202/CA205 below)
    sites = [site for site in all_loops if site.coordinates is None]
    if attached:
        on_notice(
            f"attached to process {profile.attached_pid} for {profile.wall_s:.1f} s: its loops "
            "were not counted, so a loop whose items the source does not tell is taken as "
            "divisible among the workers (its prediction is an upper bound), and the shares "
            "are of the sampled time only"
        )
    elif sites and not profile.counts_written:
        on_notice(
            "the run ended without writing its loop counts (os._exit or a kill): "
            "predictions treat each loop's time as divisible among the workers"
        )
    for uncounted in profile.uncounted:
        on_notice(
            f"the loops of {display_path(uncounted.path)} could not be counted "
            f"({uncounted.reason}; please report it): predictions for them treat each loop's "
            "time as divisible among the workers"
        )
    evidence = evidence_by_site(profile, sites)
    # a loop that submits and waits item by item is CA205's, judged with what the run started
    waited = waited_loops(static, sites)
    waited_evidence = {site: ev for site, ev in evidence.items() if site in waited}
    evidence = {site: ev for site, ev in evidence.items() if site not in waited}
    if attached:  # nothing counted: the items the source tells, where it tells them
        evidence = {
            site: ev
            if ev.iterations is not None or site.static_items is None
            else replace(ev, iterations=site.static_items)
            for site, ev in evidence.items()
        }
    outer = enclosing_loops(profile, sites)
    evidence = with_gil_releases(evidence, outer)
    coroutine_loops = {
        (count.path, count.line): serial_awaits.get((count.path, count.line))
        for count in profile.loop_counts
        if count.suspends
    }

    def judge(loops: Mapping[LoopSite, Evidence], run_wall_s: float) -> list[Finding]:
        return profiled_findings(
            dict(loops), run_wall_s, settings, outer, profile.imported, coroutine_loops
        )

    findings, planned = plan_findings(
        judge(evidence, profile.wall_s),
        evidence,
        profile.wall_s,
        judge,
        lambda o, i: o in outer.get(i, ()) or o.encloses(i),
    )
    findings += pool_findings(
        pool_evidence(profile, pools, settings.core_count()),
        profile.wall_s,
        settings,
        profile.imported,
    )
    findings += with_started_work(
        _measured_static(static, profile, main_thread_seconds(profile)),
        profile.started or (),
        all_loops,
        waited_evidence,
        profile.wall_s,
        settings,
    )
    findings = _by_measured_impact(_not_silenced(findings, find_config(script), suppressions))
    findings, refused = _confirmed(_relative(findings), texts)
    findings, failed = attach_proposed_diffs(with_fingerprints(findings, texts), verifiable=True)
    errors += refused + failed
    if planned is not None:
        planned = replace(
            planned, steps=tuple((display_path(p), line, x) for p, line, x in planned.steps)
        )
    return Report(
        tool_version=__version__,
        findings=tuple(findings),
        errors=tuple(errors),
        plan=indexed_plan(planned, findings),
        run=RunInfo(
            wall_s=profile.wall_s,
            profiler=profile.profiler,
            exit_code=profile.exit_code,
            timed_out=session.timed_out,
            analysis_s=time.perf_counter() - started,
            python=session.python,
            python_version=session.python_version,
            cores=cores,
            free_cores=round(machine.free_cores, 1),
            attached_pid=profile.attached_pid,
        ),
    )


def _confirmed(
    findings: Iterable[Finding], texts: Mapping[str, str]
) -> tuple[list[Finding], list[ErrorEntry]]:
    """Each fix confirmed by its fixer on its file's text, as `check` and `fix` judge it
    (advisor/codemods/judgement.py): a fix the fixer refuses is `none`, with its reason."""
    confirmed: list[Finding] = []
    errors: list[ErrorEntry] = []
    for finding in findings:
        text = texts.get(finding.path)
        if text is None:
            confirmed.append(finding)
            continue
        judged, failed = confirmed_by_fixers([finding], text)
        confirmed += judged
        errors += failed
    return confirmed, errors


def _profiler_failure(run: CompletedRun) -> str:
    lines = run.stderr.decode("utf-8", "replace").strip().splitlines()
    return "the profiler failed" + (f": {lines[-1].strip()}" if lines else "")


# ----------------------------------------------------------------------------- apply


# what each cluster says about itself, left out when its rewrite is verified
_CLUSTER_LOG_LINES = {"dask": DASK_LOG_LINES, "ray": RAY_LOG_LINES}


def apply_and_verify(
    report: Report,
    request: ProfileRequest,
    runs: int,
    on_run: Callable[[str], None] | None = None,
) -> Report:
    """Rewrite each finding with a safe fix (its rule's fixer), verify it by timed runs, keep it
    only if it wins.

    The plan's steps go first, in its order: a loop worth it only once another is concurrent is
    timed after that one is kept. The other findings follow bottom-up within a file, so a kept
    rewrite seldom moves a later target; when one did, the target is found again by its
    unchanged lines (advisor/codemods/moved.py).
    """
    command = python_command(request)
    verifications: list[Verification] = []
    errors = list(report.errors)
    planned = [step.finding for step in report.plan.steps] if report.plan else []
    eligible = [(index, f) for index, f in enumerate(report.findings) if is_applied_by_profile(f)]
    eligible.sort(
        key=lambda pair: (
            (0, planned.index(pair[0]), "", 0)
            if pair[0] in planned
            else (1, 0, pair[1].path, -pair[1].line)
        )
    )
    profiled: dict[str, str] = {}  # each file's text as the profile saw it
    # concadvise: ignore[CA101]: timed runs, one rewrite at a time on purpose
    for index, located in eligible:
        # a failure on one finding's file is that file's error entry; the others still run
        try:
            original = Path(located.path).read_bytes()
            now = original.decode("utf-8", "surrogateescape")
            before = profiled.setdefault(located.path, now)
            finding = moved_finding(located, before, now)
            if finding is None:
                raise RewriteError("an earlier rewrite changed its lines")
            rewritten = fixed_file_bytes(finding.path, original, finding)
        except (RewriteError, SyntaxError) as exc:
            errors.append(ErrorEntry(located.path, "internal", f"rewrite failed: {exc}"))
            continue
        except SourceError as exc:
            errors.append(ErrorEntry(located.path, exc.kind, exc.detail))  # type: ignore[arg-type]
            continue
        except OSError as exc:
            errors.append(ErrorEntry(located.path, "io", f"not rewritten: {exc.strerror or exc}"))
            continue
        except Exception as exc:
            errors.append(ErrorEntry(located.path, "internal", fixer_crash(located, exc)))
            continue
        try:
            outcome = verify_rewrite(
                finding.path,
                original,
                rewritten,
                command,
                cwd=None,
                runs=runs,
                timeout=request.timeout,
                on_run=on_run,
                expected_exit_code=None if report.run is None else report.run.exit_code,
                stdin=Path(request.stdin_path) if request.stdin_path else None,
                rule=OutputRule(
                    ignore=request.output_masks,
                    drop_lines=_CLUSTER_LOG_LINES.get(finding.suggestion, ()),
                ),
            )
        except Exception as exc:  # the verifier put the original bytes back before raising
            message = f"verifying the {finding.rule} rewrite failed: {type(exc).__name__}: {exc}"
            errors.append(ErrorEntry(finding.path, "internal", message))
            continue
        verifications.append(
            Verification(
                finding=index,
                before_s=outcome.before_s,
                after_s=outcome.after_s,
                speedup=measured_speedup(outcome.ratio),
                same_output=outcome.same_output,
                kept=outcome.kept,
                reason=outcome.reason,
                noise_warning=outcome.noise_warning,
                runs_note=outcome.runs_note,
            )
        )
    verifications.sort(key=lambda v: v.finding)
    run = report.run
    if run is not None and request.output_masks and verifications:
        run = replace(run, output_masks=request.output_masks)
    return replace(report, verification=tuple(verifications), errors=tuple(errors), run=run)
