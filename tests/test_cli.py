"""The CLI's edges: bad options and bad input end in one clear message, never a traceback."""

from __future__ import annotations

from advisor import __version__
from conftest import run_cli


def test_a_bad_option_value_is_a_usage_error_without_traceback() -> None:
    result = run_cli("profile", "--format", "xml", "x.py")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "'xml' is not one of 'table', 'json'" in result.stderr


def test_a_directory_given_as_script_is_one_line(tmp_path) -> None:
    result = run_cli("profile", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == f"concadvise: error: not a file: {tmp_path}"


def test_version() -> None:
    for asked in (("version",), ("--version",)):
        result = run_cli(*asked)
        assert result.returncode == 0 and result.stdout.strip() == __version__


def test_help_shows_bracketed_text_rich_would_take_for_markup() -> None:
    """`[dask]` and `[tool.concadvise]` are escaped, not swallowed as rich markup."""
    fix_help = " ".join(run_cli("fix", "--help").stdout.split())
    assert "pip install 'concadvise[dask]'" in fix_help
    profile_help = " ".join(run_cli("profile", "--help").stdout.split())
    assert "[default: min-share of [tool.concadvise], else 0.05]" in profile_help
    assert "all free [default: all of this machine's" in profile_help
