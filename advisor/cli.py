"""The command line: parse arguments, call one pipeline function, render. No logic lives here."""

from __future__ import annotations

import contextlib
import enum
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from advisor import __version__
from advisor.config import DASK_THRESHOLD_S, MIN_SHARE_OF_RUN
from advisor.errors import ConcadviseError, UsageError
from advisor.interruption import Interrupted, interrupt_on_stop_signals

if TYPE_CHECKING:
    from rich.console import Console

    from advisor.codemods.fixers import FixTarget
    from advisor.model import Report

# Every other import is made by the command that needs it: `concadvise --help`, `--version` and
# `rules` start in about the time Python takes to import typer and rich, and `check` never loads
# the codemods, the profiler or the verifier (benchmarks/startup.py).

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Find the hot serial loops of a Python program, advise threads, processes or asyncio, "
    "rewrite them and prove the speedup.",
    pretty_exceptions_enable=False,
)


def _print_version(wanted: bool) -> None:
    if wanted:
        print(__version__)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Find the hot serial loops of a Python program, advise threads, processes or asyncio,
    rewrite them and prove the speedup."""


class ProfilerOption(enum.StrEnum):
    auto = "auto"
    scalene = "scalene"
    py_spy = "py-spy"


class ExecutorOption(enum.StrEnum):
    local = "local"
    dask = "dask"
    ray = "ray"


def fix_target(executor: str, dask_address: str | None) -> FixTarget:
    """The target of loop fixes; Dask or Ray only where its package is installed (the rewrite's
    code imports it), said in one line otherwise."""
    if dask_address is not None and executor != "dask":
        raise UsageError("--dask-address needs --executor dask")
    from advisor.codemods.dask_executor import dask_available  # imports libcst.codemod
    from advisor.codemods.fixers import FixTarget
    from advisor.codemods.ray_executor import ray_available

    if executor == "dask" and not dask_available():
        raise UsageError(
            "--executor dask needs Dask's distributed scheduler: pip install 'concadvise[dask]'"
        )
    if executor == "ray" and not ray_available():
        raise UsageError("--executor ray needs Ray: pip install 'concadvise[ray]'")
    return FixTarget(executor, dask_address)  # type: ignore[arg-type]


# formats that show the diff of each proposed rewrite
DIFF_FORMATS = frozenset({"sarif", "markdown", "html"})
# Files whose text cannot be analysed: a finding-like failure (exit 1), as ruff reports them.
_UNANALYSABLE = frozenset({"syntax", "encoding"})


class OutputFormat(enum.StrEnum):
    table = "table"
    json = "json"
    sarif = "sarif"
    markdown = "markdown"
    github = "github"
    html = "html"


def _emit(
    report: Report, output_format: OutputFormat, output: Path | None = None, applied: bool = False
) -> None:
    if output_format is OutputFormat.table:
        from rich.console import Console

        from advisor.report.console import render_console
        from advisor.report.wording import apply_summary, plan_measured_text

        if output is not None:
            raise UsageError("--output needs --format json, sarif, markdown, github or html")
        # Off a terminal (CI logs, pipes) rich would assume 80 columns and squeeze the table.
        console = Console() if sys.stdout.isatty() else Console(width=120)
        render_console(report, console)
        if applied:
            console.print(apply_summary(report), highlight=False)
            measured = plan_measured_text(report)
            if measured is not None:
                console.print(measured, highlight=False)
        return
    from advisor.report.formats import render_text

    if output is None:
        sys.stdout.write(render_text(report, output_format.value))
    else:
        from advisor.codemods.writing import write_atomically

        write_atomically(output, render_text(report, output_format.value).encode("utf-8"))


def _cores_asked(cores: int | None) -> int:
    """The --cores count (0: the machine's); more than this machine has cannot be measured."""
    from advisor.advice.decision import available_cores

    if cores is None:
        return 0
    have = available_cores()
    if cores > have:
        raise UsageError(f"--cores {cores}: this machine lets the run use {have}")
    return cores


def _status_console(output_format: OutputFormat) -> Console:
    """Progress goes to stderr, and only on a terminal, so stdout stays parseable."""
    from rich.console import Console

    return Console(stderr=True, quiet=not sys.stderr.isatty())


_Result = TypeVar("_Result")


def _over_files(
    verb: str, status: Console, work: Callable[[Callable[[int, int], None]], _Result]
) -> _Result:
    """Run ``work`` with a files progress bar on ``status``; it reports (done, total)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn(verb),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files"),
        console=status,
        transient=True,
    ) as progress:
        task = progress.add_task(verb, total=None)
        return work(lambda done, total: progress.update(task, completed=done, total=total))


_PYTHON_OPTION = typer.Option(
    "--python",
    help="The Python that runs the program \\[default: the active virtual environment's "
    "(VIRTUAL_ENV), else the first python on PATH].",
    show_default=False,
)


_IGNORE_OUTPUT_OPTION = typer.Option(
    "--ignore-output",
    metavar="REGEX",
    help="Output of the program's own that may differ from run to run (durations in words "
    "concadvise does not know, an address): not compared where it matches; repeatable, added "
    "to ignore-output of \\[tool.concadvise].",
    show_default=False,
)


def _codes(option: str | None) -> tuple[str, ...]:
    return tuple(option.split(",")) if option else ()


def _check_rule_registry() -> None:
    """Fail loudly, before analysing anything, when a rule file and the code disagree about
    whether it is detected or fixed (imported here, not at start-up: it loads the analysis)."""
    import advisor.registry  # noqa: F401  # checks on import


def _attach_alone(
    *, script: str | None, module: str | None, apply: bool, load_profile: str | None, scalene: bool
) -> None:
    """--pid samples a process that is already running: nothing to start, re-run or replay."""
    _refuse_beside(
        "--pid attaches to a running process",
        {
            "a script": script is not None,
            "-m": module is not None,
            "--apply (a process's run cannot be repeated: profile its script to verify)": apply,
            "--load-profile": load_profile is not None,
            "--profiler scalene (only py-spy attaches)": scalene,
        },
    )


def _nothing_runs(
    *, apply: bool, module: str | None, save_profile: str | None, args: list[str] | None
) -> None:
    """--load-profile replays a run: the options that run something have no place beside it."""
    _refuse_beside(
        "--load-profile runs nothing",
        {
            "--apply": apply,
            "-m": module is not None,
            "--save-profile": save_profile is not None,
            "script arguments": bool(args),
        },
    )


def _refuse_beside(option: str, given: dict[str, bool]) -> None:
    """One line naming every option given that ``option`` leaves no place for."""
    clash = [name for name, used in given.items() if used]
    if clash:
        raise UsageError(f"{option}; it takes no {', '.join(clash)}")


@app.command()
def profile(
    script: Annotated[
        str | None,
        typer.Argument(
            help="The Python script to run and profile (or -m MODULE).", show_default=False
        ),
    ] = None,
    script_args: Annotated[
        list[str] | None, typer.Argument(help="Arguments for the script, after `--`.")
    ] = None,
    module: Annotated[
        str | None,
        typer.Option("-m", "--module", help="Run and profile a module as `python -m MODULE` does."),
    ] = None,
    stdin: Annotated[
        bool,
        typer.Option("--stdin", help="Give the program this stdin (by default it is closed)."),
    ] = False,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Report format.")
    ] = OutputFormat.table,
    apply: Annotated[
        bool,
        typer.Option("--apply", help="Rewrite safe loops, verify by timed runs, keep winners."),
    ] = False,
    runs: Annotated[
        int, typer.Option("--runs", min=1, max=50, help="Timed runs of each version with --apply.")
    ] = 5,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", min=0.1, help="Seconds before the script's process group is killed."
        ),
    ] = 600.0,
    min_share: Annotated[
        float | None,
        typer.Option(
            "--min-share",
            min=0.0,
            max=1.0,
            help="Ignore loops under this share of the run \\[default: min-share of "
            f"\\[tool.concadvise], else {MIN_SHARE_OF_RUN}].",
        ),
    ] = None,
    executor: Annotated[
        ExecutorOption,
        typer.Option(
            "--executor",
            help="dask or ray: advise (and with --apply, rewrite onto) a Dask or Ray cluster "
            "instead of a local pool for every hot loop (CA401).",
        ),
    ] = ExecutorOption.local,
    dask_threshold: Annotated[
        float,
        typer.Option(
            "--dask-threshold",
            min=0.0,
            help="Seconds a CPU loop may still take on every local core before CA401 suggests "
            "a Dask cluster.",
        ),
    ] = DASK_THRESHOLD_S,
    profiler: Annotated[
        ProfilerOption,
        typer.Option(
            "--profiler",
            help="Which profiler measures; auto uses py-spy and falls back to scalene when it "
            "cannot run here (and says so).",
        ),
    ] = ProfilerOption.auto,
    save_profile: Annotated[
        str | None,
        typer.Option(
            "--save-profile",
            metavar="FILE",
            help="Also save the measured run to FILE (JSON), to advise from again with "
            "--load-profile.",
        ),
    ] = None,
    load_profile: Annotated[
        str | None,
        typer.Option(
            "--load-profile",
            metavar="FILE",
            help="Advise from a run saved with --save-profile instead of running SCRIPT "
            "(whose sources must be unchanged); nothing is run.",
        ),
    ] = None,
    python: Annotated[str | None, _PYTHON_OPTION] = None,
    ignore_output: Annotated[list[str] | None, _IGNORE_OUTPUT_OPTION] = None,
    pid: Annotated[
        int | None,
        typer.Option(
            "--pid",
            min=1,
            help="Attach to this running Python process (a service, a worker) instead of "
            "running a script; it goes on untouched.",
            show_default=False,
        ),
    ] = None,
    duration: Annotated[
        float,
        typer.Option(
            "--duration", min=1.0, help="Seconds to sample with --pid (Ctrl-C stops sooner)."
        ),
    ] = 10.0,
    cores: Annotated[
        int | None,
        typer.Option(
            "--cores",
            min=1,
            help="Advise for this many cores, all free \\[default: all of this machine's, "
            "whatever the load while profiling].",
        ),
    ] = None,
) -> None:
    """Run SCRIPT under a profiler, find its hot serial loops and advise what would speed it up."""
    from dataclasses import replace

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
    )

    from advisor.codemods.apply import is_applied_by_profile
    from advisor.config import output_masks_for
    from advisor.pipeline import (
        ProfileRequest,
        advice_settings_for,
        apply_and_verify,
        profile_script,
    )

    if pid is not None:
        _attach_alone(
            script=script,
            module=module,
            apply=apply,
            load_profile=load_profile,
            scalene=profiler is ProfilerOption.scalene,
        )
    elif script is None and module is None:
        raise UsageError("give a script to profile, or -m MODULE (or --pid PID)")
    if load_profile is not None:
        _nothing_runs(apply=apply, module=module, save_profile=save_profile, args=script_args)
    _check_rule_registry()
    # with -m, every positional word is the module's argument (`-m pkg.tool -- a b`)
    args = tuple(script_args or ())
    if module is not None and script is not None:
        args = (script, *args)
    # with --apply, the timed runs read the same stdin as the profiled one: read it once
    with _stdin_once(stdin and apply) as stdin_path:
        request = ProfileRequest(
            script=script or "",
            args=args,
            timeout=timeout,
            settings=replace(
                advice_settings_for(
                    script or ".",
                    min_share,
                    fix_target(executor.value, None).executor,
                    dask_threshold,
                ),
                cores=_cores_asked(cores),
            ),
            profiler=profiler.value,  # type: ignore[arg-type]
            module=module,
            pass_stdin=stdin and not apply,
            stdin_path=stdin_path,
            save_profile=save_profile,
            load_profile=load_profile,
            python=python,
            output_masks=output_masks_for(script or ".", ignore_output or ()),
            pid=pid,
            duration=duration,
        )
        status = _status_console(output_format)
        doing = f"Profiling {script if module is None else f'-m {module}'}"
        if load_profile is not None:
            doing = f"Advising from {load_profile}"
        if pid is not None:
            doing = f"Sampling process {pid} for {duration:g} s (Ctrl-C stops sooner)"
        with status.status(f"{doing}…"):
            report = profile_script(
                request, on_notice=lambda message: typer.echo(f"concadvise: {message}", err=True)
            )
        if apply:
            eligible = sum(1 for f in report.findings if is_applied_by_profile(f))
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=status,
                transient=True,
            ) as progress:
                task = progress.add_task(
                    "Verifying rewrites (before/after runs)", total=eligible * 2 * (runs + 1)
                )
                report = apply_and_verify(
                    report, request, runs, on_run=lambda _label: progress.advance(task)
                )
        _emit(report, output_format, applied=apply)
        if any(e.kind == "script" for e in report.errors):
            raise typer.Exit(2)


@contextlib.contextmanager
def _stdin_once(wanted: bool) -> Iterator[str | None]:
    """Our stdin saved to a file for the command's duration, so every run of the program can
    read it from its start; None when not wanted."""
    if not wanted:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="concadvise-stdin-") as folder:
        saved = Path(folder, "stdin")
        saved.write_bytes(sys.stdin.buffer.read())
        yield str(saved)


@app.command()
def check(
    paths: Annotated[list[str], typer.Argument(help="Files or directories to analyse.")],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Report format.")
    ] = OutputFormat.table,
    select: Annotated[
        str | None, typer.Option(help="Only these rules (codes or prefixes, comma-separated).")
    ] = None,
    ignore: Annotated[str | None, typer.Option(help="Skip these rules (comma-separated).")] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Skip paths matching this glob (repeatable).")
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Analyse every file again, ignoring the cache.")
    ] = False,
) -> None:
    """Find concurrency problems statically (nothing is run).

    Exit 1 when something is found or a file cannot be analysed (each is listed), 2 on usage errors.
    """
    from advisor.check import CheckRequest, check_paths

    _check_rule_registry()
    request = CheckRequest(
        paths=tuple(paths),
        select=_codes(select) or None,
        ignore=_codes(ignore),
        exclude=tuple(exclude or ()),
        use_cache=not no_cache,
        with_diffs=output_format in DIFF_FORMATS,
    )
    report = _over_files(
        "Checking",
        _status_console(output_format),
        lambda on_progress: check_paths(request, on_progress=on_progress),
    )
    _emit(report, output_format)
    # As ruff: a file that cannot be analysed (syntax, encoding, unreadable) fails the gate too.
    if report.findings or report.errors:
        raise typer.Exit(1)


@app.command()
def fix(
    paths: Annotated[list[str], typer.Argument(help="Files or directories to rewrite.")],
    diff: Annotated[
        bool, typer.Option("--diff", help="Print the unified diff of the fixes; write nothing.")
    ] = False,
    unsafe_fixes: Annotated[
        bool,
        typer.Option(
            "--unsafe-fixes", help="Also apply fixes whose safety could not be proven (see why)."
        ),
    ] = False,
    select: Annotated[
        str | None, typer.Option(help="Only these rules (codes or prefixes, comma-separated).")
    ] = None,
    ignore: Annotated[str | None, typer.Option(help="Skip these rules (comma-separated).")] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Skip paths matching this glob (repeatable).")
    ] = None,
    executor: Annotated[
        ExecutorOption,
        typer.Option(
            "--executor",
            help="Where loop fixes send the work: a local pool chosen by rule, a Dask cluster "
            "(distributed.Client; needs `pip install 'concadvise\\[dask]'`) or Ray (its "
            "RAY_ADDRESS cluster, else a local Ray; needs `pip install 'concadvise\\[ray]'`).",
        ),
    ] = ExecutorOption.local,
    dask_address: Annotated[
        str | None,
        typer.Option(
            "--dask-address",
            help="Scheduler address written into Dask rewrites as the default; the "
            "DASK_SCHEDULER_ADDRESS environment variable still wins, and with neither the "
            "rewritten code starts a LocalCluster.",
        ),
    ] = None,
) -> None:
    """Rewrite the fixable findings (safe ones only, unless --unsafe-fixes).

    Exit 0 when nothing fixable is left, 1 when some finding was left as it was or a file cannot
    be parsed (or, with --diff, when there is something to fix), 2 when a file could not be read
    or written.
    """
    from rich.console import Console

    from advisor.fix import FixRequest, fix_paths
    from advisor.report.fix_console import render_fix_summary

    _check_rule_registry()
    request = FixRequest(
        paths=tuple(paths),
        select=_codes(select) or None,
        ignore=_codes(ignore),
        exclude=tuple(exclude or ()),
        unsafe_fixes=unsafe_fixes,
        write=not diff,
        target=fix_target(executor.value, dask_address),
    )
    report = _over_files(
        "Fixing",
        _status_console(OutputFormat.table),
        lambda on_progress: fix_paths(request, on_progress=on_progress),
    )
    if diff:
        sys.stdout.flush()
        sys.stdout.buffer.write(b"".join(f.patch() for f in report.files))
        sys.stdout.buffer.flush()
        summary = Console(stderr=True, width=120 if not sys.stderr.isatty() else None)
    else:
        summary = Console() if sys.stdout.isatty() else Console(width=120)
    render_fix_summary(report, summary, wrote=not diff)
    if any(e.kind not in _UNANALYSABLE for e in report.errors):
        raise typer.Exit(2)
    if report.errors or report.skipped or (diff and report.applied):
        raise typer.Exit(1)


@app.command("report")
def report_command(
    path: Annotated[Path, typer.Argument(help="A report saved with `--format json`.")],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Report format.")
    ] = OutputFormat.table,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of to stdout.")
    ] = None,
) -> None:
    """Render a saved JSON report again, in any format; nothing is run."""
    from advisor.report.load import load_report

    _emit(load_report(path), output_format, output)


@app.command()
def rules(
    code: Annotated[str | None, typer.Argument(help="A rule code, e.g. CA101.")] = None,
) -> None:
    """List the rule catalog, or explain one rule."""
    from rich.console import Console

    from advisor.catalog import get_rule, load_catalog
    from advisor.report.rules_doc import render_rule, render_rule_list

    console = Console() if sys.stdout.isatty() else Console(width=100)
    if code is None:
        render_rule_list(load_catalog(), console)
    else:
        render_rule(get_rule(code), console)


class BenchFormat(enum.StrEnum):
    table = "table"
    json = "json"


@app.command()
def bench(
    before: Annotated[str, typer.Argument(help="The original script.")],
    after: Annotated[str, typer.Argument(help="The rewritten script.")],
    script_args: Annotated[
        list[str] | None, typer.Argument(help="Arguments for both scripts, after `--`.")
    ] = None,
    runs: Annotated[
        int, typer.Option("--runs", min=1, max=100, help="Timed runs of each version.")
    ] = 5,
    warmup: Annotated[
        int, typer.Option("--warmup", min=0, max=10, help="Uncounted pairs run first.")
    ] = 1,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", min=0.1, help="Seconds before one run's process group is killed."
        ),
    ] = 600.0,
    unordered: Annotated[
        bool,
        typer.Option(
            "--unordered", help="Compare stdout as a multiset of lines (completion-order output)."
        ),
    ] = False,
    exact: Annotated[
        bool,
        typer.Option("--exact", help="Compare stdout byte for byte, printed durations included."),
    ] = False,
    output_format: Annotated[
        BenchFormat, typer.Option("--format", "-f", help="Result format.")
    ] = BenchFormat.table,
    python: Annotated[str | None, _PYTHON_OPTION] = None,
    ignore_output: Annotated[list[str] | None, _IGNORE_OUTPUT_OPTION] = None,
    stdin: Annotated[
        bool,
        typer.Option(
            "--stdin", help="Read stdin once and give it to every run (by default it is closed)."
        ),
    ] = False,
) -> None:
    """Time BEFORE against AFTER in alternating runs and check they print the same.

    Exit 0 when the output is the same, 1 when it differs, 2 on errors (both versions failing
    included).
    """
    from rich.console import Console

    from advisor.config import output_masks_for
    from advisor.report.bench_console import (
        LiveBenchProgress,
        render_bench,
        render_bench_json,
    )
    from advisor.verify.bench import BenchRequest, bench_scripts
    from advisor.verify.equivalence import OutputRule

    request = BenchRequest(
        before=before,
        after=after,
        args=tuple(script_args or ()),
        runs=runs,
        warmup=warmup,
        timeout=timeout,
        rule=OutputRule(
            unordered=unordered,
            mask_durations=not exact,
            ignore=output_masks_for(before, ignore_output or ()),
        ),
        python=python,
        stdin=sys.stdin.buffer.read() if stdin else None,
    )
    status = _status_console(OutputFormat(output_format.value))
    with LiveBenchProgress(status, total=request.total_runs) as progress:
        result = bench_scripts(request, on_run=progress)
    if output_format is BenchFormat.json:
        sys.stdout.write(render_bench_json(result))
    else:
        render_bench(
            result, Console() if sys.stdout.isatty() else Console(width=120), before, after
        )
    if result.same_output and result.failure:
        raise typer.Exit(2)
    if not result.same_output:
        raise typer.Exit(1)


@app.command()
def version() -> None:
    """Print the version."""
    print(__version__)


def main() -> None:
    """Entry point: user errors become one line on stderr and exit code 2, never a traceback;
    Ctrl-C, SIGTERM and SIGHUP undo what is half done and exit 128+n.

    typer (standalone mode) reports bad options itself, with usage, and exits 2.
    """
    try:
        with interrupt_on_stop_signals():
            app()
    except ConcadviseError as exc:
        print(f"concadvise: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, Interrupted) as exc:
        from advisor.profiling.exits import signal_name

        signum = exc.signum if isinstance(exc, Interrupted) else signal.SIGINT
        stopped = "interrupted" if signum == signal.SIGINT else f"stopped by {signal_name(signum)}"
        print(f"concadvise: {stopped}", file=sys.stderr)
        sys.exit(128 + signum)
    except Exception as exc:  # a bug of ours: still one line, with what to report
        print(f"concadvise: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
