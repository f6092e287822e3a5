"""The static rule engine: every detector over one file, with suppressions applied.

A detector takes a module's facts and returns findings. The serial-loop rules (CA101-CA103) are
one decision over each loop (``loop_rules.py``); the pool and asyncio rules are one module each
in ``advisor/analysis/checks/``, called by their family's checker on one walk of the module.
"""

from __future__ import annotations

from collections.abc import Callable

from advisor.analysis import async_checker, pool_checker
from advisor.analysis.cache import CachedResult
from advisor.analysis.checks import async_hooks, pool_hooks, rule_checks
from advisor.analysis.facts import ModuleFacts, module_facts
from advisor.analysis.knowledge import CallKnowledge
from advisor.analysis.loop_rules import MIN_STATIC_ITEMS, detect_loop_rules
from advisor.analysis.project import ProjectModules
from advisor.analysis.suppression import is_suppressed, suppressed_lines
from advisor.errors import SourceError
from advisor.model import ErrorEntry, Finding
from advisor.syntax.source import Source

Detector = Callable[[ModuleFacts], list[Finding]]
LOOP_RULES = frozenset({"CA101", "CA102", "CA103"})


def detect_pool_rules(facts: ModuleFacts) -> list[Finding]:
    """CA201, CA202, CA205, CA206, CA207 and CA208: concurrency machinery used so that it cannot
    help, or cannot work."""
    return pool_checker.detect_pool_rules(facts, pool_hooks())


def detect_async_rules(facts: ModuleFacts, min_items: int = MIN_STATIC_ITEMS) -> list[Finding]:
    """CA104, CA301, CA302, CA303 and CA304. ``min_items``: CA104 skips loops over fewer items
    known from source (a profile, which measures whether a few long awaits are worth it,
    passes 2)."""
    return async_checker.detect_async_rules(facts, async_hooks(), min_items)


DETECTORS: tuple[Detector, ...] = (detect_loop_rules, detect_pool_rules, detect_async_rules)


def implemented_rules() -> frozenset[str]:
    """Every rule a detector may report: the loop rules and one per rule module."""
    return LOOP_RULES | {check.rule for check in rule_checks()}


def analyse_content(path: str, content: bytes, knowledge: CallKnowledge) -> CachedResult:
    """All static findings of one file, suppressions applied; never raises.

    A bug of ours on one file becomes an `internal` error entry so the rest of the tree is still
    analysed.
    """
    try:
        source = Source.decode(path, content).parsed()
        project = ProjectModules.around(path, knowledge)
        facts = module_facts(source, knowledge, project)
        findings: list[Finding] = []
        for detector in DETECTORS:
            findings.extend(detector(facts))
        suppressions = suppressed_lines(source.text)
        kept = [
            f
            for f in sorted(findings, key=lambda f: (f.line, f.rule))
            if not is_suppressed(suppressions, f.rule, f.line, f.end_line)
        ]
        read = () if project is None else tuple(sorted(project.read.items()))
        return CachedResult(findings=tuple(kept), depends_on=read)
    except SourceError as exc:
        return CachedResult(errors=(ErrorEntry(path, exc.kind, exc.detail),))  # type: ignore[arg-type]
    except RecursionError:
        return CachedResult(errors=(ErrorEntry(path, "syntax", "code is nested too deeply"),))
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        return CachedResult(errors=(ErrorEntry(path, "internal", message),))
