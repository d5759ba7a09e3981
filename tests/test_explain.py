"""`guidesmith explain`: a cloudimg URL's crop, output size, marker and click, in numbers."""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner

from generator import transform
from generator.cli import main
from generator.explain import ExplainError, explain
from generator.model import Image

ORIGIN = "https://bucket.example/files/shot.jpeg"
MARKER = "https://bucket.example/images/watermarks/FB923C_standard.png"
# The sample's step 2, as Scribe exports it.
STEP_2 = (
    f"https://tok.cloudimg.io/{ORIGIN}?tl_px=90,0&br_px=2842,1538&force_format=jpeg&q=100"
    f"&width=1120.0&wat=1&wat_opacity=0.7&wat_gravity=northwest&wat_url={MARKER}"
    "&wat_pad=1059,-8"
)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["explain", *args])
    return result.exit_code, result.output


def test_seed_step_2_in_full() -> None:
    code, output = run(STEP_2)
    assert code == 0, output
    assert output.split("\n\nAs YAML:\n")[0].splitlines() == [
        f"origin:     {ORIGIN}",
        "crop:       (90, 0, 2842, 1538): 2752x1538 source pixels",
        "output:     1120x626 (width 1120, height keeps the crop's aspect ratio)",
        "format:     jpeg, quality 100",
        f"marker:     {MARKER} (Scribe's marker, 72x72, #FB923C)",
        "  gravity:  northwest",
        "  pad:      1059, -8 (inward from the gravity side)",
        "  scale:    100 %",
        "  opacity:  0.7",
        "  size:     72x72 output pixels",
        "  top-left: (1059, -8) output pixels",
        "  centre:   (1095, 28) output pixels",
        "  click:    (2781, 70) source pixels (marker: {click: [2781, 70]})",
    ]


def test_the_yaml_equivalent_loads_to_the_same_image() -> None:
    text = explain(STEP_2).yaml
    data = yaml.safe_load(text)["image"]
    assert data["crop"] == [90, 0, 2842, 1538]
    assert data["marker"]["pad"] == [1059, -8]
    assert Image.model_validate(data) == Image.model_validate(STEP_2)


def test_the_click_point_puts_the_marker_back_where_the_pad_did() -> None:
    image = Image.model_validate(STEP_2)
    box, out = image.crop, (1120, 626)
    click = transform.source_to_output((2781, 70), box, out)
    assert transform.marker_position(out, (72, 72), image.marker, click) == (1059, -8)


def test_a_crop_to_the_edge_needs_the_source_size() -> None:
    url = STEP_2.replace("&br_px=2842,1538", "")
    code, output = run(url)
    assert code == 0, output
    assert ("crop:       from (90, 0) to the image's right and bottom edges "
            "(size unknown: pass --source-size WxH)") in output
    assert "output:     1120 wide; height keeps the crop's aspect ratio" in output
    assert "  position: needs the output size (pass --source-size WxH)" in output
    assert "click:" not in output

    code, output = run(url, "--source-size", "2842x1932")
    assert code == 0, output
    assert "crop:       (90, 0, 2842, 1932): 2752x1932 source pixels" in output
    assert "output:     1120x786 " in output
    assert "  top-left: (1059, -8) output pixels" in output


def test_a_crop_outside_the_given_source_is_clamped_with_a_warning() -> None:
    code, output = run(STEP_2, "--source-size", "2000x1000")
    assert code == 0, output
    assert "crop:       (90, 0, 2000, 1000): 1910x1000 source pixels" in output
    assert "warning: crop corner (2842, 1538) is outside the 2000x1000 image; clamped" in output


def test_unknown_parameters_are_listed_and_kept() -> None:
    code, output = run(STEP_2 + "&blur=5&trim=1")
    assert code == 0, output
    assert "unknown:    blur=5, trim=1 (kept as params, not applied)" in output
    assert "  params:\n    blur: '5'\n    trim: '1'\n" in output


def test_no_marker_no_crop_no_width() -> None:
    code, output = run(f"https://tok.cloudimg.io/{ORIGIN}?q=80")
    assert code == 0, output
    assert "crop:   none: the whole image (size unknown: pass --source-size WxH)" in output
    assert "output: the crop's size (no width: not resized)" in output
    assert "marker: none" in output
    code, output = run(f"https://tok.cloudimg.io/{ORIGIN}?q=80", "--source-size", "640x480")
    assert "crop:   the whole image: 640x480 source pixels" in output
    assert "output: 640x480 (no width: not resized)" in output


def test_a_marker_off_the_image_is_a_warning() -> None:
    code, output = run(STEP_2.replace("wat_pad=1059,-8", "wat_pad=2000,-8"))
    assert code == 0, output
    assert "warning: the marker at (2000, -8) is entirely outside the 1120x626 image" in output


def test_an_unfetched_marker_is_assumed_scribe_sized() -> None:
    output = run(STEP_2.replace(MARKER, "https://example.com/pin.png"))[1]
    assert "marker:     https://example.com/pin.png\n" in output
    assert "warning: the marker image is not fetched: its size is taken as 72x72" in output


def test_a_plain_url_is_shown_as_it_is() -> None:
    code, output = run("https://example.com/a.png")
    assert code == 0, output
    assert output == (
        "image: https://example.com/a.png\n"
        "what:  not a cloudimg URL: the image is shown as it is (no crop, no resize, no marker)\n"
        "\nAs YAML:\nimage:\n  src: https://example.com/a.png\n"
    )


def test_markdown_escapes_are_undone() -> None:
    escaped = STEP_2.replace("&", "\\&").replace("tl_px", "tl\\_px")
    assert explain(escaped).lines == explain(STEP_2).lines


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([f"https://tok.cloudimg.io/{ORIGIN}?width=abc"],
         "Error: width: expected a whole number of pixels, got 'abc'"),
        ([f"https://tok.cloudimg.io/{ORIGIN}?tl_px=a,b"],
         "Error: expected two integers 'x,y', got 'a,b' (cloudimg parameter tl_px)"),
        ([STEP_2, "--source-size", "12"],
         "expected WIDTHxHEIGHT in pixels like 2842x1932, got '12'"),
        ([STEP_2, "--source-size", "10x10"],
         "Error: crop box (90, 0, 2842, 1538) is outside the 10x10 image: nothing is left to show"),
    ],
)
def test_bad_input_is_one_clear_error(args: list[str], message: str) -> None:
    code, output = run(*args)
    assert code != 0
    assert message in output
    assert "Traceback" not in output


def test_explain_error_is_a_value_error() -> None:
    with pytest.raises(ExplainError):
        explain("https://tok.cloudimg.io/")
