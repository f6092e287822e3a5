"""The static rule engine: every detector over one file, with suppressions applied.

A detector takes a module's facts and returns findings; each rule family has one detector in its
own module. Adding a family means adding one line to DETECTORS.
"""

from __future__ import annotations

from collections.abc import Callable

from advisor.analysis.async_rules import detect_async_rules
from advisor.analysis.cache import CachedResult
from advisor.analysis.facts import module_facts
from advisor.analysis.knowledge import CallKnowledge
from advisor.analysis.loop_rules import detect_loop_rules
from advisor.analysis.pool_rules import detect_pool_rules
from advisor.analysis.suppression import is_suppressed, suppressed_lines
from advisor.errors import SourceError
from advisor.model import ErrorEntry, Finding
from advisor.syntax.source import Source

Detector = Callable[..., list[Finding]]

# (rules a detector may report, the detector)
DETECTORS: tuple[tuple[frozenset[str], Detector], ...] = (
    (frozenset({"CA101", "CA102", "CA103"}), detect_loop_rules),
    (frozenset({"CA201", "CA202", "CA205", "CA206", "CA207", "CA208"}), detect_pool_rules),
    (frozenset({"CA104", "CA301", "CA302", "CA303", "CA304"}), detect_async_rules),
)


def implemented_rules() -> frozenset[str]:
    return frozenset().union(*(rules for rules, _ in DETECTORS))


def analyse_content(path: str, content: bytes, knowledge: CallKnowledge) -> CachedResult:
    """All static findings of one file, suppressions applied; never raises.

    A bug of ours on one file becomes an `internal` error entry so the rest of the tree is still
    analysed.
    """
    try:
        source = Source.decode(path, content).parsed()
        facts = module_facts(source, knowledge)
        findings: list[Finding] = []
        for _rules, detector in DETECTORS:
            findings.extend(detector(facts))
        suppressions = suppressed_lines(source.text)
        kept = [
            f
            for f in sorted(findings, key=lambda f: (f.line, f.rule))
            if not is_suppressed(suppressions, f.rule, f.line, f.end_line)
        ]
        return CachedResult(findings=tuple(kept))
    except SourceError as exc:
        return CachedResult(errors=(ErrorEntry(path, exc.kind, exc.detail),))  # type: ignore[arg-type]
    except RecursionError:
        return CachedResult(errors=(ErrorEntry(path, "syntax", "code is nested too deeply"),))
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        return CachedResult(errors=(ErrorEntry(path, "internal", message),))
