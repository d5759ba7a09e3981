"""fontcheck: characters that no installed font has are one warning, not boxes in a PDF."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import fontcheck
from generator.cli import main
from generator.fontcheck import (
    Coverage,
    font_warnings,
    installed_coverage,
    package_for,
    parse_charsets,
    script_of,
)
from generator.loader import load_guide

# What DejaVu has, roughly: Latin, Greek, Cyrillic, punctuation, arrows, some symbols.
DEJAVU_LIKE = parse_charsets("20-7e a0-24f 370-3ff 400-4ff 2000-206f 2190-21ff 2600-26ff")


def test_charsets_are_merged_into_ranges() -> None:
    coverage = parse_charsets("20-7e a0-ff\n\n41-5a 100-17f\n4e00\n4e01-4e02 ")
    assert coverage == Coverage((0x20, 0xA0, 0x4E00), (0x7E, 0x17F, 0x4E02))
    assert [coverage.has(c) for c in " ~\x7fé\u017f\u0180一丂丄"] == [
        True, True, False, True, True, False, True, True, False]


@pytest.mark.parametrize(
    ("char", "script", "package"),
    [
        ("设", "Han", "fonts-noto-cjk"),
        ("あ", "Hiragana", "fonts-noto-cjk"),
        ("한", "Hangul", "fonts-noto-cjk"),
        ("\uff1a", "Halfwidth and Fullwidth Forms", "fonts-noto-cjk"),
        ("。", "CJK Symbols and Punctuation", "fonts-noto-cjk"),
        ("🚀", "emoji", "fonts-noto-color-emoji"),
        ("✅", "emoji", "fonts-noto-color-emoji"),
        ("ع", "Arabic", "fonts-noto-core"),
        ("क", "Devanagari", "fonts-noto-core"),
        ("\U0001d538", "Mathematical Alphanumeric Symbols", "fonts-noto-core"),
    ],
)
def test_each_character_s_script_and_the_package_with_fonts_for_it(
    char: str, script: str, package: str
) -> None:
    assert (script_of(char), package_for(script_of(char))) == (script, package)


GUIDE = """title: "设置 🚀"
chapter: Getting started
steps:
  - text: Open the settings (Привет, café → done)
  - section: 次へ
  - text: Click Save
    tip: "Looks like this: 한국어"
"""


@pytest.fixture
def guide(tmp_path: Path) -> Callable[[str], list]:
    def load(text: str) -> list:
        path = tmp_path / "guides/03-settings.yml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        return [load_guide(path, tmp_path)]

    return load


def test_one_warning_names_each_missing_script_its_first_character_and_the_packages(
    guide: Callable[[str], list], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fontcheck, "installed_coverage", lambda: DEJAVU_LIKE)
    [warning] = font_warnings(guide(GUIDE))
    assert warning.text() == (
        "guides/03-settings.yml:1:9: warning: no installed font has Han (设), emoji (🚀), "
        "Hiragana (へ), Hangul (한): the PDFs will show boxes for them "
        "(Debian/Ubuntu: apt-get install fonts-noto-cjk fonts-noto-color-emoji)")


def test_nothing_to_say_when_the_fonts_have_every_character(
    guide: Callable[[str], list], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fontcheck, "installed_coverage", lambda: DEJAVU_LIKE)
    assert font_warnings(guide(GUIDE.replace("设置 🚀", "Settings").replace("次へ", "Next")
                               .replace("한국어", "this"))) == []
    everything = parse_charsets("0-10ffff")
    monkeypatch.setattr(fontcheck, "installed_coverage", lambda: everything)
    assert font_warnings(guide(GUIDE)) == []


def test_without_fontconfig_it_says_what_it_cannot_check(
    guide: Callable[[str], list], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fontcheck, "installed_coverage", lambda: None)
    [warning] = font_warnings(guide(GUIDE))
    assert warning.message == (
        "cannot tell whether the PDFs' fonts have Han (设), emoji (🚀), Hiragana (へ), "
        "Hangul (한): fontconfig's fc-list is not installed (apt-get install fontconfig); "
        "without fonts for them they print as boxes "
        "(apt-get install fonts-noto-cjk fonts-noto-color-emoji)")
    # Latin, Greek and Cyrillic print with DejaVu, which WeasyPrint's packages bring.
    assert font_warnings(guide("title: Café\nsteps:\n  - text: Привет, αβγ\n")) == []


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig's fc-list is missing")
@pytest.mark.parametrize("char", ["A", "é", "Ж", "设", "한", "🚀", "\U0001e900"])
def test_coverage_agrees_with_fontconfig_s_own_answer(char: str) -> None:
    # Whatever fonts this machine has: the parsed coverage says what fontconfig says.
    listed = subprocess.run(["fc-list", f":charset={ord(char):x}", "family"],
                            capture_output=True, text=True, check=True).stdout
    coverage = installed_coverage()
    assert coverage is not None
    assert coverage.has(char) is bool(listed.strip())


def _build(root: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["build", "--offline",
                                       "--config-file", str(root / "mkdocs.yml")])
    return result.exit_code, result.output


def test_the_build_warns_once_and_only_when_it_makes_pdfs(
    project: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fontcheck, "installed_coverage", lambda: DEJAVU_LIKE)
    root = project("basic")
    (root / "guides/03-settings.yml").write_text(GUIDE)
    code, output = _build(root)
    assert code == 0, output
    assert output.count("no installed font has") == 1
    assert ("guides/03-settings.yml:1:9: warning: no installed font has Han (设), emoji (🚀)"
            in output)
    (root / "mkdocs.yml").write_text((root / "mkdocs.yml").read_text().replace(
        "  - guidesmith\n", "  - guidesmith:\n      pdf: false\n"))
    code, output = _build(root)
    assert code == 0, output
    assert "no installed font" not in output
