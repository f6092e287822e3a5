"""The JSON renderer: the versioned contract of DESIGN.md, and nothing else, on stdout."""

from __future__ import annotations

import json

from advisor.model import Report, report_to_dict


def render_json(report: Report) -> str:
    return json.dumps(report_to_dict(report), indent=2) + "\n"
