"""importer + yamlwriter: Scribe exports in every shape -> Guide -> YAML that loads back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.importer.run import import_directory, import_file, run_import
from generator.importer.scribe import (
    ImportProblem,
    ImportResult,
    order_for,
    parse_export,
    slug_for,
)
from generator.importer.series import read_series_index
from generator.loader import load_guide
from generator.model import Guide, Length, Section, Step
from generator.yamlwriter import SCHEMA_URL, dump_guide

ROOT = Path(__file__).resolve().parents[1]
SCRIBE = Path(__file__).parent / "fixtures" / "scribe"
SEED = ROOT.parent / "shared" / "seeds" / "generate-a-pat.scribe.md"
CURRENT = "05.reset_the_lab_router.md"
OLDER = "set_up_the_vpn_client.md"
EMBEDDED = "embedded_page.md"
ODD = "08.odd_shapes.md"



def parse_fixture(name: str) -> ImportResult:
    return parse_export((SCRIBE / name).read_text(encoding="utf-8"), name)


def steps_of(guide: Guide) -> list[Step]:
    return [item for item in guide.steps if isinstance(item, Step)]


def sections_of(guide: Guide) -> list[str]:
    return [item.section for item in guide.steps if isinstance(item, Section)]


# --- shapes ------------------------------------------------------------------------------


def test_current_export_gives_steps_sections_callouts_and_images() -> None:
    result = parse_fixture(CURRENT)
    guide = result.guide
    steps = steps_of(guide)

    assert result.slug == "05-reset-the-lab-router"
    assert guide.title == "Reset the lab router"
    assert guide.order == 5
    assert guide.source == "https://scribehow.com/shared/05Reset_the_lab_router__Xy12AbCdEfGhIj"
    assert guide.description == (
        "Bring the lab router back to its factory settings before the next group arrives."
    )
    assert len(steps) == 6
    assert sections_of(guide) == ["Open the console", "Confirm the reset"]
    assert [type(item).__name__ for item in guide.steps] == [
        "Section", "Step", "Step", "Step", "Section", "Step", "Step", "Step",
    ]
    assert sum(step.image is not None for step in steps) == 5
    assert {n: s.tip for n, s in enumerate(steps, 1) if s.tip} == {
        2: "The console opens in a new browser tab."
    }
    assert {n: s.alert for n, s in enumerate(steps, 1) if s.alert} == {
        4: "Every saved setting is lost."
    }
    assert steps[2].text == 'Type "reset" and press [[Enter]]'
    assert steps[2].image is None
    assert steps[3].text == (
        "Tick the boxes for:\n\n"
        "- keep the management address\n- wipe the startup config\n- reboot afterwards"
    )
    assert result.warnings == [
        "05.reset_the_lab_router.md:44: cloudimg parameter(s) guidesmith does not apply,"
        " kept under params: sharp=1"
    ]


def test_cloudimg_urls_are_taken_apart_and_shared_values_hoisted() -> None:
    guide = parse_fixture(CURRENT).guide
    steps = steps_of(guide)
    defaults = guide.image_defaults
    assert defaults is not None and defaults.marker is not None
    assert (defaults.width, defaults.format, defaults.quality) == (1000, "jpeg", 95)
    assert defaults.marker.src == "https://shots.example.com/images/watermarks/22C55E_standard.png"
    assert (defaults.marker.opacity, defaults.marker.gravity) == (0.8, "northwest")

    first, second, _, _, animation, last = (s.image for s in steps)
    assert first is not None and first.marker is None  # no watermark in its URL
    assert first.src == "https://shots.example.com/files/2024-01-02/aaaa-1111/ascreenshot.jpeg"
    assert first.crop == (0, 12, 1600, 912)
    assert second is not None and second.marker is not None
    assert second.marker.pad == (Length(value=412), Length(value=37))
    assert (second.width, second.quality, second.marker.opacity) == (1000, 95, 0.8)
    assert animation is not None
    assert animation.src == "https://shots.example.com/files/2024-01-02/dddd-4444/stack_animation.webp"
    assert (animation.width, animation.marker, animation.crop) == (None, None, None)
    assert last is not None and last.marker is not None
    assert last.width == 700
    assert last.params == {"sharp": "1"}
    assert last.marker.pad == (Length(value=10, percent=True), Length(value=20))


def test_older_export_with_bold_steps_escaped_urls_and_made_by_link() -> None:
    result = parse_fixture(OLDER)
    guide = result.guide
    steps = steps_of(guide)

    assert result.slug == "set-up-the-vpn-client"
    assert (guide.title, guide.order, guide.description) == ("Set up the VPN client", None, None)
    assert guide.source == "https://scribehow.com/shared/Set_up_the_VPN_client__Q1w2E3r4T5y6"
    assert [s.text for s in steps] == [
        "Download the client from [the portal](https://vpn.example.com/download)",
        'Run the installer\nAccept the licence\nClick "Finish"',
        "Sign in with your lab account",
    ]
    assert steps[2].tip == "Use the account from the welcome mail."
    assert guide.image_defaults is not None and guide.image_defaults.marker is not None
    assert (guide.image_defaults.width, guide.image_defaults.format) == (560, "png")
    assert guide.image_defaults.marker.scale == Length(value=50)
    first = steps[0].image
    assert first is not None and first.marker is not None
    assert first.src == "https://shots.example.com/files/2023-05-30/ffff-6666/ascreenshot.jpeg"
    assert first.crop == (10, 20, 810, 520)
    assert first.marker.pad == (Length(value=262), Length(value=278))
    assert steps[1].image is not None and steps[1].image.marker is None
    assert result.warnings == []


def test_export_inside_a_larger_page_is_cut_out_and_the_rest_reported() -> None:
    result = parse_fixture(EMBEDDED)

    assert result.guide.title == "Open the dashboard"
    assert len(steps_of(result.guide)) == 2
    assert result.guide.source == "https://scribehow.com/shared/03Open_the_dashboard__Zx9Yw8Vu7Ts6"
    assert "Continue" not in dump_guide(result.guide)
    assert result.warnings == [
        "embedded_page.md:1: skipped lines 1-4 (YAML front matter)",
        "embedded_page.md:6: skipped lines 6-8 before the Scribe title",
        "embedded_page.md:24: skipped lines 24-26 after the Scribe guide",
    ]


def test_unknown_shapes_are_kept_and_reported_with_line_numbers() -> None:
    result = parse_fixture(ODD)
    steps = steps_of(result.guide)

    assert result.warnings == [
        "08.odd_shapes.md:9: text that is not a step, image or callout after step 1;"
        " kept in that step's text",
        "08.odd_shapes.md:14: image alt text 'Dashboard' is not kept (guides have none)",
        "08.odd_shapes.md:16: a second image after step 2; kept in that step's text",
        "08.odd_shapes.md:19: a level-2 heading in the guide; kept as a section",
        "08.odd_shapes.md:22: step numbered 4 is step 3 of the guide (numbering is continuous)",
    ]
    assert steps[0].text == "First step\n\nThis paragraph is neither a step nor a callout."
    assert steps[1].text == (
        "Second step\n\n![](https://shots.example.com/files/2024-03-04/mmmm-5656/extra.png)"
    )
    assert sections_of(result.guide) == ["A heading Scribe does not write"]
    assert len(steps) == 3


@pytest.mark.parametrize(
    ("line", "kind", "text"),
    [
        ("Tip: Save first.", "tip", "Save first."),
        ("**Tip:** Save first.", "tip", "Save first."),
        ("**Tip: Save first.**", "tip", "Save first."),
        ("Alert: Data is lost.", "alert", "Data is lost."),
        ("**Alert: Data is lost.**", "alert", "Data is lost."),
        ("**Alert:** Data is lost.", "alert", "Data is lost."),
    ],
)
def test_tip_and_alert_paragraphs_become_callouts(line: str, kind: str, text: str) -> None:
    export = f"# A guide\n\n1\\. Do it\n\n{line}\n\n2\\. Done\n"
    step = steps_of(parse_export(export, "a.md").guide)[0]
    assert getattr(step, kind) == text
    assert step.text == "Do it"


def test_hard_breaks_between_lines_stay_as_markdown_line_breaks() -> None:
    export = (
        "# Breaks\n\n"
        "1\\. Open the menu\\\n"
        "   Click \"Add\"\\\\\n"
        "   Click \"Save\"\n\n"
        "2\\. Done\n"
    )
    step = steps_of(parse_export(export, "b.md").guide)[0]
    assert step.text == 'Open the menu\\\n   Click "Add"\\\n   Click "Save"'


def test_escaped_key_markers_and_empty_step_text() -> None:
    export = "# Keys\n\n1\\. Press \\[\\[Ctrl\\]\\] and [[Enter]]\n\n2\\. \n\n![](https://example.com/a.gif)\n"
    steps = steps_of(parse_export(export, "k.md").guide)
    assert steps[0].text == "Press [[Ctrl]] and [[Enter]]"
    assert steps[1].text == ""
    assert steps[1].image is not None and steps[1].image.src == "https://example.com/a.gif"


def test_a_value_most_images_share_is_hoisted_and_the_odd_one_written_out(tmp_path: Path) -> None:
    def url(opacity: str) -> str:
        return (
            "![](https://demo42.cloudimg.io/https://shots.example.com/s.png?width=800"
            f"&wat=1&wat_opacity={opacity}&wat_gravity=northwest&wat_pad=5,6)"
        )

    export = "# Odd opacity\n\n" + "".join(
        f"{n}\\. Step {n}\n\n{url(o)}\n\n" for n, o in enumerate(["0.7", "1", "0.7"], start=1)
    )
    guide = parse_export(export, "o.md").guide
    assert guide.image_defaults is not None and guide.image_defaults.marker is not None
    assert guide.image_defaults.marker.opacity == 0.7
    text = dump_guide(guide)
    assert text.count("marker: {pad: [5, 6]}") == 2
    assert text.count("marker: {opacity: 1.0, pad: [5, 6]}") == 1
    assert load_guide_text(text, tmp_path) == guide


def test_steps_without_a_title_take_it_from_the_file_name() -> None:
    result = parse_export("1\\. Only step\n", "12.check_the_cables.md")
    assert result.guide.title == "Check the cables"
    assert result.warnings == [
        "12.check_the_cables.md:1: no '# ' title above the steps;"
        " titled 'Check the cables' from the file name"
    ]


def test_a_file_without_numbered_steps_is_not_an_export() -> None:
    with pytest.raises(ImportProblem) as caught:
        parse_export("# Notes\n\nJust text.\n", "notes.md")
    assert caught.value.message == "notes.md: not a Scribe export: no numbered steps"


@pytest.mark.parametrize(
    ("filename", "slug", "order"),
    [
        ("07.prepare_nautobot.md", "07-prepare-nautobot", 7),
        (
            "02.generate_a_personal_access_token_(pat).md",
            "02-generate-a-personal-access-token-pat",
            2,
        ),
        ("31.run_nuts_tests_pt.1.md", "31-run-nuts-tests-pt-1", 31),
        ("Set up the VPN client.md", "set-up-the-vpn-client", None),
    ],
)
def test_slug_and_order_from_the_file_name(filename: str, slug: str, order: int | None) -> None:
    assert (slug_for(filename), order_for(filename)) == (slug, order)


@pytest.mark.parametrize(
    ("heading", "title"),
    [
        ("# 02.Generate a Personal Access Token (PAT)", "Generate a Personal Access Token (PAT)"),
        ("# 02. Generate a token", "Generate a token"),
        ("# 3.5 GHz radios", "3.5 GHz radios"),
    ],
)
def test_order_prefix_is_stripped_from_the_title(heading: str, title: str) -> None:
    assert parse_export(f"{heading}\n\n1\\. Go\n", "t.md").guide.title == title


# --- YAML --------------------------------------------------------------------------------


def load_guide_text(text: str, folder: Path) -> Guide:
    path = folder / "guide.yml"
    path.write_text(text, encoding="utf-8")
    return load_guide(path).guide


def test_yaml_is_short_ordered_and_readable() -> None:
    text = dump_guide(parse_fixture(CURRENT).guide, "Imported from 05.reset_the_lab_router.md")
    assert text == (SCRIBE / "05-reset-the-lab-router.yml").read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"# yaml-language-server: $schema={SCHEMA_URL}"


@pytest.mark.parametrize("name", [CURRENT, OLDER, EMBEDDED, ODD])
def test_written_yaml_loads_back_to_an_equal_guide(name: str, tmp_path: Path) -> None:
    guide = parse_fixture(name).guide
    assert load_guide_text(dump_guide(guide, "header"), tmp_path) == guide


def test_hoisted_defaults_round_trip_with_an_odd_step(tmp_path: Path) -> None:
    export = (
        "# Mixed\n\n"
        "1\\. A\n\n![](https://demo42.cloudimg.io/https://s.example.com/a.png?width=800&q=80"
        "&wat=1&wat_opacity=0.7&wat_gravity=northwest&wat_pad=5,6)\n\n"
        "2\\. B\n\n![](https://demo42.cloudimg.io/https://s.example.com/b.png?width=800&q=80"
        "&wat=1&wat_opacity=0.7&wat_gravity=northwest&wat_pad=1,2)\n\n"
        "3\\. C\n\n![](https://demo42.cloudimg.io/https://s.example.com/c.png?width=640"
        "&force_format=png&wat=1&wat_scale=50&wat_pad=3p)\n"
    )
    guide = parse_export(export, "m.md").guide
    assert load_guide_text(dump_guide(guide), tmp_path) == guide
    third = steps_of(guide)[2].image
    assert third is not None and third.marker is not None
    assert (third.width, third.format, third.quality) == (640, "png", 90)
    assert (third.marker.gravity, third.marker.opacity) == ("center", 1.0)


def test_importing_twice_gives_identical_bytes(tmp_path: Path) -> None:
    first = tmp_path / "one.yml"
    second = tmp_path / "two.yml"
    import_file(SCRIBE / CURRENT, first)
    import_file(SCRIBE / CURRENT, second)
    import_file(SCRIBE / CURRENT, first, force=True)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_text(encoding="utf-8").splitlines()[1] == (
        "# Imported from 05.reset_the_lab_router.md by guidesmith import"
    )


def test_the_seed_export() -> None:
    if not SEED.is_file():
        pytest.skip(f"the seed export is not at {SEED}")
    result = parse_export(SEED.read_text(encoding="utf-8"), SEED.name)
    steps = steps_of(result.guide)
    assert len(steps) == 12
    assert sum(s.image is not None for s in steps) == 11
    second = steps[1].image
    assert second is not None and second.marker is not None
    assert second.crop == (90, 0, 2842, 1538)
    assert second.marker.pad == (Length(value=1059), Length(value=-8))
    assert result.warnings == []


def test_the_seed_round_trips(tmp_path: Path) -> None:
    if not SEED.is_file():
        pytest.skip(f"the seed export is not at {SEED}")
    guide = parse_export(SEED.read_text(encoding="utf-8"), SEED.name).guide
    text = dump_guide(guide)
    assert "      crop: [90, 0, 2842, 1538]\n      marker: {pad: [1059, -8]}\n" in text
    assert load_guide_text(text, tmp_path) == guide


# --- a series ----------------------------------------------------------------------------


def test_series_index_maps_files_to_chapter_and_order() -> None:
    assert read_series_index(SCRIBE / "series" / "lab_index.md") == {
        "00.get_the_code.md": ("Part 1: Setup", 0),
        "01.install_the_tools.md": ("Part 1: Setup", 1),
        "10.first_lab.md": ("Part 2: Labs", 10),
        "bonus_lab_(extra).md": ("Part 2: Labs", 4),
    }


def test_import_directory_uses_the_index_and_skips_what_is_not_an_export(tmp_path: Path) -> None:
    guides = tmp_path / "guides"
    outcomes = import_directory(SCRIBE / "series", guides)

    notes = {o.export.name: o.note for o in outcomes if o.path is None}
    assert notes == {
        "README.md": "left out: no numbered steps, so not a Scribe export (nothing to do, "
        "unless it should be one: export it from Scribe as Markdown)",
        "lab_index.md": "read as the series index: chapters and order for 4 guides",
    }
    written = {o.path.name: o.result.guide for o in outcomes if o.path and o.result}
    assert sorted(p.name for p in guides.iterdir()) == sorted(written)
    assert {name: (g.chapter, g.order) for name, g in written.items()} == {
        "00-get-the-code.yml": ("Part 1: Setup", 0),
        "01-install-the-tools.yml": ("Part 1: Setup", 1),
        "10-first-lab.yml": ("Part 2: Labs", 10),
        "bonus-lab-extra.yml": ("Part 2: Labs", 4),
    }
    loaded = load_guide(guides / "01-install-the-tools.yml").guide
    assert (loaded.title, loaded.chapter) == ("Install the tools", "Part 1: Setup")
    assert loaded == written["01-install-the-tools.yml"]


def test_existing_guides_are_not_overwritten_without_force(tmp_path: Path) -> None:
    guides = tmp_path / "guides"
    import_directory(SCRIBE / "series", guides)
    (guides / "10-first-lab.yml").write_text("edited by hand\n", encoding="utf-8")

    with pytest.raises(ImportProblem) as caught:
        import_directory(SCRIBE / "series", guides)
    assert caught.value.message.startswith("refusing to overwrite guide files that exist: ")
    assert caught.value.message.endswith(" (use --force to replace)")
    assert (guides / "10-first-lab.yml").read_text(encoding="utf-8") == "edited by hand\n"

    import_directory(SCRIBE / "series", guides, force=True)
    assert load_guide(guides / "10-first-lab.yml").guide.title == "First lab"


def test_import_file_refuses_an_existing_guide(tmp_path: Path) -> None:
    out = tmp_path / "guide.yml"
    out.write_text("mine\n", encoding="utf-8")
    with pytest.raises(ImportProblem) as caught:
        import_file(SCRIBE / CURRENT, out)
    assert caught.value.message == (
        f"refusing to overwrite a guide file that exists: {out} (use --force to replace)"
    )
    assert out.read_text(encoding="utf-8") == "mine\n"


def test_run_import_takes_a_file_or_a_folder(tmp_path: Path) -> None:
    [single] = run_import(SCRIBE / ODD, tmp_path / "a")
    assert single.path == tmp_path / "a" / "08-odd-shapes.yml"
    assert single.result is not None and len(single.result.warnings) == 5
    outcomes = run_import(SCRIBE / "series", tmp_path / "b")
    assert sum(o.path is not None for o in outcomes) == 4
    with pytest.raises(ImportProblem):
        run_import(tmp_path / "missing", tmp_path / "c")


def test_two_exports_with_the_same_slug_are_refused(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(SCRIBE / CURRENT, src / "05.reset_the_lab_router.md")
    shutil.copy(SCRIBE / CURRENT, src / "05 reset the lab router.md")
    with pytest.raises(ImportProblem) as caught:
        import_directory(src, tmp_path / "guides")
    assert "would all be written to" in caught.value.message
    assert not (tmp_path / "guides").exists()
