"""Font resolution, registration, chains per script, missing fonts, digests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics

from campaign.errors import MissingDependency
from campaign.typeset import (
    TextStyle,
    base_font,
    cap_height_ratio,
    find_font,
    font_digest,
    fonts,
    layout,
    register_fonts,
)
from campaign.typeset.fonts import family_for, ttfont

HEBREW = "NotoSansHebrew-Regular.ttf"


@pytest.fixture
def no_fonts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A search path with no fonts at all."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr(fonts, "PROJECT_FONT_DIR", empty)
    monkeypatch.setattr(fonts, "SYSTEM_FONT_DIRS", ())
    monkeypatch.delenv(fonts.ENV_FONT_DIRS, raising=False)
    return empty


@pytest.mark.parametrize(
    ("script", "locale", "family"),
    [
        ("Latn", "es", "Noto Sans"),
        ("Cyrl", "ru", "Noto Sans"),
        ("Grek", "el", "Noto Sans"),
        ("Arab", "ar", "Noto Sans Arabic"),
        ("Arab", "fa", "Noto Sans Arabic"),
        ("Arab", "ur", "Noto Nastaliq Urdu"),
        ("Hebr", "he", "Noto Sans Hebrew"),
        ("Deva", "hi", "Noto Sans Devanagari"),
        ("Taml", "ta", "Noto Sans Tamil"),
        ("Thai", "th", "Noto Sans Thai"),
        ("Hani", "zh", "WenQuanYi Micro Hei"),
        ("Kana", "ja", "WenQuanYi Micro Hei"),
        ("Hang", "ko", "WenQuanYi Micro Hei"),
    ],
)
def test_family_per_script(script: str, locale: str, family: str) -> None:
    assert family_for(script, locale) == family


def test_single_weight_cjk_font_gets_distinct_names_and_is_loaded_once() -> None:
    regular, bold = find_font("WenQuanYi Micro Hei"), find_font("WenQuanYi Micro Hei", "bold")
    assert regular.path == bold.path and regular.name != bold.name
    assert ttfont(regular) is ttfont(bold)
    assert pdfmetrics.getFont(bold.name) is pdfmetrics.getFont(regular.name)


def test_fonts_register_once() -> None:
    face = find_font("Noto Sans", "bold")
    assert ttfont(face) is ttfont(face) is pdfmetrics.getFont(face.name)


def test_env_dirs_come_before_system_and_project_before_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = find_font("Noto Sans Hebrew").path
    env_dir, project_dir = tmp_path / "env", tmp_path / "project"
    for folder in (env_dir, project_dir):
        folder.mkdir()
        shutil.copy(system, folder / HEBREW)
    monkeypatch.setenv(fonts.ENV_FONT_DIRS, f"{tmp_path / 'nowhere'}:{env_dir}")
    assert find_font("Noto Sans Hebrew").path == env_dir / HEBREW
    monkeypatch.setattr(fonts, "PROJECT_FONT_DIR", project_dir)
    assert find_font("Noto Sans Hebrew").path == project_dir / HEBREW


def test_same_postscript_name_from_another_file_stays_a_separate_font(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = find_font("Noto Sans Hebrew")
    shutil.copy(system.path, tmp_path / HEBREW)
    monkeypatch.setenv(fonts.ENV_FONT_DIRS, str(tmp_path))
    copy = find_font("Noto Sans Hebrew")
    assert copy.name != system.name
    assert ttfont(copy) is not ttfont(system)
    assert ttfont(copy).face.name != ttfont(system).face.name


@pytest.mark.parametrize(
    ("family", "package"),
    [
        ("Noto Sans Thai", "fonts-noto-core"),
        ("WenQuanYi Micro Hei", "fonts-wqy-microhei"),
    ],
)
def test_missing_font_names_the_install_command(no_fonts: Path, family: str, package: str) -> None:
    with pytest.raises(MissingDependency) as caught:
        find_font(family)
    assert caught.value.command == f"apt-get install {package}"
    assert package in str(caught.value)


def test_text_needing_a_missing_font_fails_clearly(no_fonts: Path) -> None:
    with pytest.raises(MissingDependency, match="apt-get install fonts-noto-core"):
        layout("ภาษาไทยสำหรับการทดสอบ", "th", TextStyle(12), 300)


def test_font_digest_is_stable_and_follows_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = font_digest()
    assert before == font_digest() and len(before) == 64
    shutil.copy(find_font("Noto Sans", "bold").path, tmp_path / HEBREW)  # another file
    monkeypatch.setenv(fonts.ENV_FONT_DIRS, str(tmp_path))
    assert font_digest() != before


def test_base_font_replaces_helvetica() -> None:
    name = base_font()
    assert name == find_font("Noto Sans").name
    assert rl_config.canvas_basefontname == name


def test_cap_height_follows_the_font_of_the_text() -> None:
    assert cap_height_ratio("Ana", "es") == pytest.approx(0.714, abs=0.01)
    assert 0.5 < cap_height_ratio("王小明", "zh") < 0.9


def test_register_fonts_loads_every_installed_family() -> None:
    register_fonts()
    for family in fonts.FAMILIES:
        assert pdfmetrics.getFont(find_font(family, "bold").name)
