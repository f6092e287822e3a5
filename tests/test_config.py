"""``[tool.concadvise]``: finding the pyproject, parsing, matching, errors naming the key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from advisor.config import Config, find_config, load_config
from advisor.errors import UsageError


def write_pyproject(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "pyproject.toml"
    path.write_text(text)
    return path


FULL = """
[project]
name = "demo"

[tool.concadvise]
select = ["CA1", "CA301"]
ignore = ["CA104"]
exclude = ["build", "tests/fixtures/*", "*.pyi"]
min-share = 0.1
min-speedup = 1.5
max-io-workers = 8

[tool.concadvise.per-file-ignores]
"tests/*" = ["CA101"]
"scripts/legacy.py" = ["CA3"]
"""


def test_load_config_reads_every_key(tmp_path: Path) -> None:
    pyproject = write_pyproject(tmp_path, FULL)
    config = load_config(pyproject)
    assert config == Config(
        select=("CA1", "CA301"),
        ignore=("CA104",),
        exclude=("build", "tests/fixtures/*", "*.pyi"),
        per_file_ignores=(("tests/*", ("CA101",)), ("scripts/legacy.py", ("CA3",))),
        min_share=0.1,
        min_speedup=1.5,
        max_io_workers=8,
        root=str(tmp_path),
        source=str(pyproject),
    )


def test_defaults_select_every_rule(tmp_path: Path) -> None:
    config = load_config(write_pyproject(tmp_path, "[tool.concadvise]\n"))
    assert config.select == ("CA",)
    assert (config.min_share, config.min_speedup, config.max_io_workers) == (0.05, 1.1, 64)
    assert config.is_rule_enabled("CA101", "a.py")
    assert config.is_rule_enabled("CA401", "a.py")


def test_snake_case_keys_and_all_are_accepted(tmp_path: Path) -> None:
    text = '[tool.concadvise]\nselect = ["ALL"]\nmin_share = 0.2\nmax_io_workers = 4\n'
    config = load_config(write_pyproject(tmp_path, text))
    assert (config.select, config.min_share, config.max_io_workers) == (("CA",), 0.2, 4)


def test_find_config_skips_a_pyproject_without_the_table(tmp_path: Path) -> None:
    top = write_pyproject(tmp_path, '[tool.concadvise]\nignore = ["CA2"]\n')
    write_pyproject(tmp_path / "pkg", '[project]\nname = "inner"\n')
    source = tmp_path / "pkg" / "src" / "mod.py"
    source.parent.mkdir()
    source.write_text("x = 1\n")

    for start in (source, source.parent, tmp_path / "pkg"):
        config = find_config(start)
        assert config.source == str(top)
        assert config.root == str(tmp_path)
        assert config.ignore == ("CA2",)


def test_find_config_takes_the_nearest_table(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.concadvise]\nignore = ["CA2"]\n')
    inner = write_pyproject(tmp_path / "pkg", '[tool.concadvise]\nignore = ["CA3"]\n')
    config = find_config(tmp_path / "pkg")
    assert (config.source, config.ignore) == (str(inner), ("CA3",))


def test_without_any_config_the_defaults_are_rooted_at_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = find_config(tmp_path)
    # tmp_path has no pyproject with the table above it (pytest's basetemp lives in /tmp).
    assert config.source is None
    assert config.root == os.getcwd()
    assert config.select == ("CA",)


def test_select_and_ignore_match_by_prefix_and_ignore_wins(tmp_path: Path) -> None:
    config = Config(select=("CA1", "CA301"), ignore=("CA104",), root=str(tmp_path))
    assert config.is_rule_enabled("CA101", "a.py")
    assert config.is_rule_enabled("CA301", "a.py")
    assert not config.is_rule_enabled("CA104", "a.py")
    assert not config.is_rule_enabled("CA201", "a.py")
    assert not config.is_rule_enabled("CA302", "a.py")
    assert not Config(select=("CA1",), ignore=("CA1",)).is_rule_enabled("CA101", "a.py")


def test_per_file_ignores_apply_only_to_matching_paths(tmp_path: Path) -> None:
    config = load_config(write_pyproject(tmp_path, FULL))
    assert not config.is_rule_enabled("CA101", str(tmp_path / "tests" / "test_x.py"))
    assert config.is_rule_enabled("CA102", str(tmp_path / "tests" / "test_x.py"))
    assert config.is_rule_enabled("CA101", str(tmp_path / "src" / "x.py"))
    assert not config.is_rule_enabled("CA301", str(tmp_path / "scripts" / "legacy.py"))
    assert config.is_rule_enabled("CA301", str(tmp_path / "scripts" / "new.py"))


def test_exclude_globs_match_components_and_paths_relative_to_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = Config(exclude=("build", "tests/fixtures/*", "*.pyi", "/top.py"), root=str(tmp_path))
    excluded = [
        "build",
        "build/x.py",
        "src/build/gen.py",
        "tests/fixtures/a.py",
        "tests/fixtures/deep/b.py",
        "pkg/stub.pyi",
        "top.py",
    ]
    kept = ["src/app.py", "tests/test_a.py", "tests/fixtures", "builder/x.py", "pkg/top.py"]
    for relative in excluded:
        assert config.is_excluded(str(tmp_path / relative)), relative
    for relative in kept:
        assert not config.is_excluded(str(tmp_path / relative)), relative
    # Paths relative to the cwd work the same way.
    monkeypatch.chdir(tmp_path)
    assert config.is_excluded("tests/fixtures/a.py")
    assert config.is_excluded("./src/build/gen.py")
    assert not config.is_excluded("src/app.py")


def test_anchored_globs_never_match_outside_the_root(tmp_path: Path) -> None:
    config = Config(exclude=("tests/*", "*.pyi"), root=str(tmp_path / "project"))
    assert not config.is_excluded(str(tmp_path / "elsewhere" / "tests" / "a.py"))
    assert config.is_excluded(str(tmp_path / "elsewhere" / "stub.pyi"))


def test_a_trailing_slash_matches_directories_only(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "out").write_text("")
    config = Config(exclude=("out/", "**/gen/*.py"), root=str(tmp_path))
    assert config.is_excluded(str(tmp_path / "out"))
    assert config.is_excluded(str(tmp_path / "out" / "x.py"))
    assert not config.is_excluded(str(tmp_path / "src" / "out"))
    assert config.is_excluded(str(tmp_path / "gen" / "x.py"))
    assert config.is_excluded(str(tmp_path / "a" / "b" / "gen" / "x.py"))


def test_command_line_select_replaces_ignore_and_exclude_extend() -> None:
    config = Config(select=("CA1",), ignore=("CA104",), exclude=("build",))
    changed = config.with_overrides(select=["CA2,CA301"], ignore=["CA205"], exclude=["gen"])
    assert changed.select == ("CA2", "CA301")
    assert changed.ignore == ("CA104", "CA205")
    assert changed.exclude == ("build", "gen")
    assert config.with_overrides() == config
    assert config.with_overrides(select=[]).select == ()


def test_command_line_codes_are_validated() -> None:
    with pytest.raises(UsageError, match=r"^--ignore: 'E501' is not a rule code"):
        Config().with_overrides(ignore=["CA101,E501"])


def test_cache_key_is_stable_and_follows_what_changes_findings(tmp_path: Path) -> None:
    base = Config(select=("CA1", "CA3"), root=str(tmp_path))
    assert base.cache_key() == Config(select=("CA3", "CA1"), root="/elsewhere").cache_key()
    assert base.cache_key() == base.with_overrides(exclude=["build"]).cache_key()
    assert (
        len(
            {
                base.cache_key(),
                base.with_overrides(ignore=["CA101"]).cache_key(),
                base.with_overrides(select=["CA1"]).cache_key(),
                Config(select=("CA1", "CA3"), min_share=0.2).cache_key(),
                Config(select=("CA1", "CA3"), max_io_workers=4).cache_key(),
                Config(select=("CA1", "CA3"), per_file_ignores=(("t/*", ("CA1",)),)).cache_key(),
            }
        )
        == 6
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            'select = "CA101"',
            'select must be a list of rule codes (like "CA101", or a prefix like "CA1")',
        ),
        ('ignore = ["E501"]', "ignore must be a list of rule codes"),
        ("exclude = [1]", "exclude must be a list of glob patterns (strings)"),
        ("min-share = 2", "min-share must be a number between 0 and 1"),
        ('min-share = "5%"', "min-share must be a number between 0 and 1"),
        ("min-speedup = 0.5", "min-speedup must be a number >= 1"),
        ("max-io-workers = 0", "max-io-workers must be a whole number >= 1"),
        ("max-io-workers = true", "max-io-workers must be a whole number >= 1"),
        ("max-io-workers = 2.5", "max-io-workers must be a whole number >= 1"),
        ('per-file-ignores = ["tests/*"]', "per-file-ignores must be a table of glob pattern"),
        ("selct = []", "unknown key 'selct' (known keys: exclude, ignore,"),
        ('ignore-output = "0x[0-9a-f]+"', "ignore-output must be a list of regular expressions"),
        (
            "ignore-output = ['[']",
            "ignore-output must be a list of regular expressions ('[': unterminated character "
            "set at position 0)",
        ),
        ("min-share = 0.1\nmin_share = 0.2", "min-share and min_share are the same key"),
    ],
)
def test_mistakes_are_one_line_usage_errors_naming_file_and_key(
    tmp_path: Path, body: str, message: str
) -> None:
    pyproject = write_pyproject(tmp_path, f"[tool.concadvise]\n{body}\n")
    with pytest.raises(UsageError) as caught:
        load_config(pyproject)
    text = str(caught.value)
    assert text.startswith(f"{pyproject}: [tool.concadvise] ")
    assert message in text
    assert "\n" not in text


def test_per_file_ignores_entries_are_checked(tmp_path: Path) -> None:
    text = '[tool.concadvise.per-file-ignores]\n"tests/*" = "CA101"\n'
    with pytest.raises(UsageError, match=r"per-file-ignores 'tests/\*' must be a list of rule"):
        load_config(write_pyproject(tmp_path, text))


def test_the_table_must_be_a_table(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"\[tool.concadvise\] must be a table"):
        load_config(write_pyproject(tmp_path, "[tool]\nconcadvise = 1\n"))


def test_invalid_toml_is_a_usage_error(tmp_path: Path) -> None:
    pyproject = write_pyproject(tmp_path, "[tool.concadvise\nselect = [\n")
    with pytest.raises(UsageError, match=r"^.*pyproject.toml: invalid TOML: ") as caught:
        find_config(tmp_path)
    assert "\n" not in str(caught.value)
    pyproject.write_bytes(b'[tool.concadvise]\nexclude = ["\xff"]\n')
    with pytest.raises(UsageError, match="invalid TOML"):
        load_config(pyproject)


def test_output_masks_come_from_the_file_then_the_command_line(tmp_path: Path) -> None:
    from advisor.config import output_masks_for

    write_pyproject(tmp_path, "[tool.concadvise]\nignore-output = ['0x[0-9a-f]+']\n")
    script = str(tmp_path / "main.py")
    assert load_config(tmp_path / "pyproject.toml").ignore_output == ("0x[0-9a-f]+",)
    assert output_masks_for(script, [r"\d+ segundos", "0x[0-9a-f]+"]) == (
        "0x[0-9a-f]+",
        r"\d+ segundos",
    )
    with pytest.raises(UsageError, match=r"--ignore-output '\(' is not a regular expression"):
        output_masks_for(script, ["("])
