"""Draw stand-in screenshots for the sample guide, guides/02-generate-a-pat.yml.

The original Scribe captures are not ours to ship, so every step with an image gets a plain,
light wireframe of the GitHub page it shows instead, at the original capture size, marked
"STAND-IN SCREENSHOT". The element a step clicks is drawn centred on the point where the
guide's click marker lands, so the rendered guide still shows the marker on the right thing.

Run from the repository root:

    .venv/bin/python scripts/make_standin_screenshots.py
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from pathlib import Path

from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from generator.loader import load_guide
from generator.model import Image, Length

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "guides" / "02-generate-a-pat.yml"
SIZE = W, H = 2842, 1932  # the original captures' size, in source pixels
MARKER_SIZE = 72  # Scribe's click marker, in output pixels
PALETTE_COLOURS = 64
LABEL = "STAND-IN SCREENSHOT \u2014 not the original capture"

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
TEXT, SMALL, HEADING = 34, 30, 50  # font sizes in source pixels (~14, 12, 20 px at 1120 wide)
ROW = 72  # height of a sidebar or menu row

WHITE = "#ffffff"
CANVAS = "#f6f8fa"
BORDER = "#d0d7de"
INK = "#1f2328"
MUTED = "#656d76"
BLUE = "#0969da"
GREEN = "#1f883d"
GREEN_LIGHT = "#dafbe1"
SELECTED = "#eaeef2"
PLACEHOLDER = "#e6eaef"
LABEL_RGBA = (207, 34, 46, 80)

Point = tuple[int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def font(size: int = TEXT, style: str = "") -> Font:
    """DejaVu Sans (style "" | "Bold" | "Mono") at `size` px, or Pillow's default font."""
    name = {"": "DejaVuSans.ttf", "Bold": "DejaVuSans-Bold.ttf", "Mono": "DejaVuSansMono.ttf"}
    try:
        return ImageFont.truetype(str(FONT_DIR / name[style]), size)
    except OSError:
        return ImageFont.load_default(size=size)


def click_point(image: Image) -> Point | None:
    """The source pixel under the centre of the step's click marker, or None without one.

    This inverts the rendering: crop, resize to `width`, then the marker placed from its
    gravity side by `pad`, in output pixels.
    """
    marker = image.marker
    if marker is None:
        return None
    if marker.click is not None:
        return marker.click
    x1, y1, x2, y2 = (
        default if value is None else value
        for value, default in zip(image.crop or (None,) * 4, (0, 0, W, H), strict=True)
    )
    crop_w, crop_h = x2 - x1, y2 - y1
    out_w = image.width or crop_w
    out_h = round(crop_h * out_w / crop_w)
    scale = marker.scale
    size = scale.resolve(out_w) if scale.percent else round(MARKER_SIZE * scale.value / 100)
    pad_x, pad_y = marker.pad
    left = _from_side(marker.gravity, ("west", "east"), out_w, size, pad_x)
    top = _from_side(marker.gravity, ("north", "south"), out_h, size, pad_y)
    return (
        round(x1 + (left + size / 2) * crop_w / out_w),
        round(y1 + (top + size / 2) * crop_h / out_h),
    )


def _from_side(gravity: str, sides: tuple[str, str], total: int, size: int, pad: Length) -> int:
    """The marker's near edge along one axis, as cloudimg places a watermark."""
    near, far = sides
    offset = pad.resolve(total)
    if near in gravity:
        return offset
    if far in gravity:
        return total - size - offset
    return (total - size) // 2 + offset


class Sketch:
    """A blank page and the few wireframe shapes the pages are made of."""

    def __init__(self) -> None:
        self.image = PILImage.new("RGB", SIZE, WHITE)
        self.draw = ImageDraw.Draw(self.image)

    def text(
        self, xy: tuple[float, float], text: str, *, size: int = TEXT, style: str = "",
        fill: str = INK, anchor: str = "lm",
    ) -> None:
        self.draw.text(xy, text, font=font(size, style), fill=fill, anchor=anchor)

    def width(self, text: str, size: int = TEXT, style: str = "") -> float:
        return self.draw.textlength(text, font=font(size, style))

    def box(
        self, box: tuple[float, float, float, float], *, fill: str | None = WHITE,
        outline: str | None = BORDER, radius: int = 12, line: int = 3,
    ) -> None:
        self.draw.rounded_rectangle(box, radius, fill=fill, outline=outline, width=line)

    def button(
        self, centre: tuple[float, float], label: str, *, primary: bool = False,
        caret: bool = False,
    ) -> tuple[float, float, float, float]:
        """A button centred on `centre`; returns its box."""
        label = f"{label}  \u25be" if caret else label
        half_w, half_h = self.width(label, TEXT, "Bold") / 2 + 36, 34
        x, y = centre
        rect = (x - half_w, y - half_h, x + half_w, y + half_h)
        self.box(rect, fill=GREEN if primary else CANVAS, outline=None if primary else BORDER)
        self.text(centre, label, style="Bold", fill=WHITE if primary else INK, anchor="mm")
        return rect

    def field(self, left: float, top: float, width: float, value: str = "") -> None:
        """A text input, 76 px high, with an optional value in it."""
        self.box((left, top, left + width, top + 76), radius=10)
        if value:
            self.text((left + 24, top + 38), value)

    def checkbox(self, centre: tuple[float, float], checked: bool = False) -> None:
        x, y = centre
        rect = (x - 17, y - 17, x + 17, y + 17)
        if checked:
            self.box(rect, fill=BLUE, outline=None, radius=6)
            self.draw.line([(x - 9, y), (x - 2, y + 8), (x + 10, y - 8)], fill=WHITE, width=5)
        else:
            self.box(rect, radius=6)

    def avatar(self, centre: tuple[float, float], radius: int = 34) -> None:
        x, y = centre
        self.draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill="#9a6dd7")
        self.draw.ellipse(
            (x - radius / 3, y - radius / 2, x + radius / 3, y + radius / 6), fill="#e7d8f9"
        )

    def lines(self, left: float, top: float, widths: list[int], gap: int = 46) -> None:
        """Grey bars standing for paragraphs of text."""
        for i, width in enumerate(widths):
            y = top + i * gap
            self.box((left, y - 10, left + width, y + 10), fill=PLACEHOLDER, outline=None, radius=8)

    def topbar(self, title: str, avatar: tuple[float, float] = (W - 62, 69)) -> None:
        """GitHub's header: logo, page title, search, icons and the avatar at top right."""
        self.draw.rectangle((0, 0, W, 138), fill=CANVAS)
        self.draw.line([(0, 138), (W, 138)], fill=BORDER, width=3)
        self.box((40, 33, 112, 105), fill=INK, outline=None, radius=36)
        self.text((150, 69), title, style="Bold")
        self.box((W - 1060, 34, W - 420, 104), radius=12)
        self.text((W - 1030, 69), "Type / to search", fill=MUTED)
        for x in (W - 330, W - 230):
            self.box((x - 34, 35, x + 34, 103), fill=WHITE, radius=12)
        self.avatar(avatar)

    def stamp(self) -> None:
        """The diagonal "not the original" label across the middle of the page."""
        label_font = font(110, "Bold")
        box = self.draw.textbbox((0, 0), LABEL, font=label_font)
        layer = PILImage.new("RGBA", (box[2] + 40, box[3] + 40), (0, 0, 0, 0))
        ImageDraw.Draw(layer).text((20, 20), LABEL, font=label_font, fill=LABEL_RGBA)
        layer = layer.rotate(math.degrees(math.atan2(H, W)), expand=True, resample=PILImage.BICUBIC)
        at = ((W - layer.width) // 2, (H - layer.height) // 2)
        self.image.paste(layer, at, layer)


# --- the pages: each draws one screen and returns what it drew at the click point ---------

Page = Callable[[Sketch, Point | None], str]


def need(click: Point | None) -> Point:
    if click is None:
        raise ValueError("this page draws the clicked element, so its step needs a marker")
    return click


def login(s: Sketch, click: Point | None) -> str:
    """github.com/login: the step shows the page without a click marker."""
    cx = W // 2
    s.draw.rectangle((0, 0, W, H), fill=CANVAS)
    s.box((cx - 48, 262, cx + 48, 358), fill=INK, outline=None, radius=48)
    s.text((cx, 450), "Sign in to GitHub", size=HEADING, anchor="mm")
    s.box((cx - 450, 530, cx + 450, 1090))
    s.text((cx - 400, 600), "Username or email address")
    s.field(cx - 400, 640, 800)
    s.text((cx - 400, 790), "Password")
    s.text((cx + 400, 790), "Forgot password?", size=SMALL, fill=BLUE, anchor="rm")
    s.field(cx - 400, 830, 800)
    s.draw.rounded_rectangle((cx - 400, 966, cx + 400, 1034), 12, fill=GREEN)
    s.text((cx, 1000), "Sign in", style="Bold", fill=WHITE, anchor="mm")
    s.box((cx - 450, 1130, cx + 450, 1250))
    s.text((cx, 1190), "New to GitHub?  Create an account", anchor="mm")
    s.text((cx, 1560), "Terms    Privacy    Docs    Contact GitHub Support", size=SMALL,
           fill=MUTED, anchor="mm")
    return "login form (no marker)"


def _dashboard_body(s: Sketch) -> None:
    s.text((60, 230), "Top repositories", style="Bold")
    s.button((620, 230), "New", primary=True)
    for i, name in enumerate(["octo-user/lab-one", "octo-user/netbox-demo", "octo-user/dotfiles"]):
        s.avatar((84, 330 + i * 80), 18)
        s.text((120, 330 + i * 80), name)
    s.draw.line([(740, 138), (740, H)], fill=BORDER, width=3)
    s.text((860, 230), "Home", size=HEADING, style="Bold")
    for i in range(3):
        top = 320 + i * 420
        s.box((860, top, 2100, top + 360))
        s.avatar((940, top + 80), 30)
        s.lines(1000, top + 80, [520])
        s.lines(920, top + 180, [1100, 980, 700])
    s.text((2200, 230), "Latest changes", style="Bold")
    s.lines(2200, 320, [520, 460, 500, 380, 520, 440])


def dashboard(s: Sketch, click: Point | None) -> str:
    s.topbar("Dashboard", avatar=need(click))
    _dashboard_body(s)
    return "avatar circle in the top bar"


def avatar_menu(s: Sketch, click: Point | None) -> str:
    """The dashboard with the account menu open; "Settings" sits under the click."""
    x, y = need(click)
    s.topbar("Dashboard")
    _dashboard_body(s)
    entries = ["Your profile", "Your repositories", "Your projects", "Your stars",
               "Your gists", "Your organizations", "", "Settings", "", "Sign out"]
    target = entries.index("Settings")
    text_left = x - s.width("Settings") / 2
    panel = (text_left - 130, y - (target + 2.5) * ROW, W - 24, y + (len(entries) - target) * ROW)
    s.draw.rounded_rectangle([c + 10 for c in panel], 20, fill="#c9d1d9")  # shadow
    s.box(panel, radius=20)
    s.avatar((text_left - 50, panel[1] + 80), 34)
    s.text((text_left + 10, panel[1] + 80), "octo-user", style="Bold")
    for i, entry in enumerate(entries):
        row_y = y + (i - target) * ROW
        if not entry:
            s.draw.line([(panel[0], row_y), (panel[2], row_y)], fill=BORDER, width=3)
            continue
        if i == target:
            s.box((panel[0] + 16, row_y - 32, panel[2] - 16, row_y + 32), fill=SELECTED,
                  outline=None, radius=10)
        s.box((text_left - 70, row_y - 16, text_left - 38, row_y + 16), fill=PLACEHOLDER,
              outline=None, radius=6)
        s.text((text_left, row_y), entry)
    return '"Settings" in the account menu'


SETTINGS_SIDEBAR = [
    "Public profile", "Account", "Appearance", "Accessibility", "Notifications",
    "Billing and plans", "Emails", "Password and authentication", "SSH and GPG keys",
    "Organizations", "Repositories", "Applications", "Security log", "Developer settings",
]


def settings_profile(s: Sketch, click: Point | None) -> str:
    """Settings > Public profile; "Developer settings" at the bottom of the sidebar."""
    x, y = need(click)
    s.topbar("Settings")
    left = x - s.width("Developer settings") / 2 - 24
    top = y - (len(SETTINGS_SIDEBAR) - 1) * ROW
    s.avatar((left + 60, top - 220), 50)
    s.text((left + 140, top - 240), "Octo User (octo-user)", style="Bold")
    s.text((left + 140, top - 192), "Your personal account", size=SMALL, fill=MUTED)
    for i, entry in enumerate(SETTINGS_SIDEBAR):
        row_y = top + i * ROW
        if i == 0:
            s.box((left, row_y - 32, left + 600, row_y + 32), fill=SELECTED, outline=None)
            s.draw.rounded_rectangle((left - 14, row_y - 26, left - 6, row_y + 26), 4, fill=BLUE)
        if entry == "Developer settings":
            s.draw.line([(left, row_y - 48), (left + 600, row_y - 48)], fill=BORDER, width=3)
        s.text((left + 24, row_y), entry, style="Bold" if i == 0 else "")
    content = left + 760
    s.text((content, top), "Public profile", size=HEADING)
    s.draw.line([(content, top + 56), (W - 180, top + 56)], fill=BORDER, width=3)
    for i, label in enumerate(["Name", "Public email", "Bio", "URL"]):
        field_top = top + 120 + i * 190
        s.text((content, field_top), label, style="Bold")
        s.field(content, field_top + 40, 1100)
    s.button((content + 180, top + 900), "Update profile", primary=True)
    s.text((W - 560, top + 100), "Profile picture", style="Bold")
    s.avatar((W - 400, top + 330), 170)
    return '"Developer settings" in the settings sidebar'


SIDEBAR_LEFT, SIDEBAR_TOP, SIDEBAR_W, INDENT = 166, 184, 560, 40


def developer_sidebar(
    s: Sketch, *, left: float = SIDEBAR_LEFT, top: float = SIDEBAR_TOP,
    expanded: bool = True, selected: str = "Tokens (classic)",
) -> None:
    """Developer settings' sidebar; `top` is the y of its first row."""
    rows = [("GitHub Apps", 0), ("OAuth Apps", 0), ("Personal access tokens", 0)]
    if expanded:
        rows += [("Fine-grained tokens", INDENT), ("Tokens (classic)", INDENT)]
    for i, (entry, indent) in enumerate(rows):
        row_y = top + i * ROW
        if entry == selected:
            s.box((left, row_y - 32, left + SIDEBAR_W, row_y + 32), fill=SELECTED, outline=None)
            s.draw.rounded_rectangle((left - 14, row_y - 26, left - 6, row_y + 26), 4, fill=BLUE)
        s.text((left + 24 + indent, row_y), entry, style="Bold" if entry == selected else "")
        if entry == "Personal access tokens":
            chevron = "\u25b4" if expanded else "\u25be"
            s.text((left + SIDEBAR_W - 36, row_y), chevron, size=40, fill=MUTED, anchor="mm")


def _github_apps(s: Sketch) -> None:
    """The Developer settings landing page's content: the GitHub Apps list."""
    content = SIDEBAR_LEFT + SIDEBAR_W + 160
    s.text((content, SIDEBAR_TOP), "GitHub Apps", size=HEADING)
    s.button((W - 400, SIDEBAR_TOP), "New GitHub App")
    s.draw.line([(content, SIDEBAR_TOP + 60), (W - 180, SIDEBAR_TOP + 60)], fill=BORDER, width=3)
    s.text((content, SIDEBAR_TOP + 150), "Apps you build to work with GitHub appear here.")
    s.lines(content, SIDEBAR_TOP + 230, [1400, 1200])


def developer_settings(s: Sketch, click: Point | None) -> str:
    """Developer settings, tokens group closed; its chevron is under the click."""
    x, y = need(click)
    s.topbar("Developer settings")
    developer_sidebar(s, left=x + 36 - SIDEBAR_W, top=y - 2 * ROW, expanded=False,
                      selected="GitHub Apps")
    _github_apps(s)
    return '"Personal access tokens" dropdown chevron'


def developer_settings_open(s: Sketch, click: Point | None) -> str:
    """Developer settings with the tokens group open; "Tokens (classic)" under the click."""
    x, y = need(click)
    s.topbar("Developer settings")
    left = x - s.width("Tokens (classic)") / 2 - 24 - INDENT
    developer_sidebar(s, left=left, top=y - 4 * ROW, selected="GitHub Apps")
    _github_apps(s)
    return '"Tokens (classic)" in the sidebar'


def _tokens_list(s: Sketch, heading_y: float, right: float) -> None:
    """The classic tokens page below its heading row."""
    content = SIDEBAR_LEFT + SIDEBAR_W + 160
    s.text((content, heading_y), "Personal access tokens (classic)", size=HEADING)
    s.draw.line([(content, heading_y + 60), (right, heading_y + 60)], fill=BORDER, width=3)
    s.text((content, heading_y + 150),
           "Tokens you have generated that can be used to access the GitHub API.")
    s.box((content, heading_y + 220, right, heading_y + 420))
    s.text((content + 40, heading_y + 290), "laptop-cli", style="Bold", fill=BLUE)
    s.text((content + 300, heading_y + 290), "\u2014 read:org, repo", fill=MUTED)
    s.text((content + 40, heading_y + 360), "Expires on Sat, Jun 21 2025.", size=SMALL,
           fill=MUTED)
    s.button((right - 100, heading_y + 320), "Delete")


def tokens_page(s: Sketch, click: Point | None) -> str:
    """Tokens (classic); "Generate new token" under the click."""
    x, y = need(click)
    s.topbar("Developer settings")
    developer_sidebar(s)
    button = s.button((x, y), "Generate new token", caret=True)
    s.button((button[0] - 160, y), "Revoke all")
    _tokens_list(s, y, button[2])
    return '"Generate new token" button'


def tokens_menu(s: Sketch, click: Point | None) -> str:
    """Tokens (classic) with the generate menu open; the classic item under the click."""
    x, y = need(click)
    s.topbar("Developer settings")
    developer_sidebar(s)
    item_h, menu_w = 130, 900
    menu = (x - menu_w / 2, y - 1.5 * item_h - 12, x + menu_w / 2, y + item_h / 2 + 12)
    button_w = s.width("Generate new token  \u25be", TEXT, "Bold") + 72
    heading_y = menu[1] - 50
    s.button((menu[2] - button_w / 2, heading_y), "Generate new token", caret=True)
    s.button((menu[2] - button_w - 160, heading_y), "Revoke all")
    _tokens_list(s, heading_y, menu[2])
    s.draw.rounded_rectangle([c + 10 for c in menu], 16, fill="#c9d1d9")  # shadow
    s.box(menu, radius=16)
    items = [("Fine-grained tokens", "Beta \u2014 Repo-scoped tokens"),
             ("Generate new token (classic)", "For general use")]
    for i, (title, note) in enumerate(items):
        item_y = y + (i - 1) * item_h
        if i == 1:
            s.box((menu[0] + 12, item_y - 56, menu[2] - 12, item_y + 56), fill=SELECTED,
                  outline=None, radius=10)
        s.text((x, item_y - 22), title, style="Bold", anchor="mm")
        s.text((x, item_y + 24), note, size=SMALL, fill=MUTED, anchor="mm")
    return '"Generate new token (classic) - For general use" menu item'


SCOPES_TOP = [
    ("repo", "Full control of private repositories", 0),
    ("repo:status", "Access commit status", 1),
    ("repo_deployment", "Access deployment status", 1),
    ("public_repo", "Access public repositories", 1),
    ("repo:invite", "Access repository invitations", 1),
    ("security_events", "Read and write security events", 1),
    ("workflow", "Update GitHub Action workflows", 0),
    ("write:packages", "Upload packages to GitHub Package Registry", 0),
]
SCOPES_BOTTOM = [
    ("admin:org", "Full control of orgs and teams, read and write org projects", 0),
    ("write:discussion", "Read and write team discussions", 0),
    ("codespace", "Full control of codespaces", 0),
    ("copilot", "Full control of GitHub Copilot settings", 0),
    ("admin:public_key", "Full control of user public keys", 0),
    ("admin:repo_hook", "Full control of repository hooks", 0),
    ("admin:org_hook", "Full control of organization hooks", 0),
    ("gist", "Create gists", 0),
    ("notifications", "Access notifications", 0),
    ("user", "Update ALL user data", 0),
    ("delete_repo", "Delete repositories", 0),
    ("project", "Full control of projects", 0),
    ("admin:gpg_key", "Full control of public user GPG keys", 0),
]


def _scope_rows(s: Sketch, box_x: float, top: float, scopes: list[tuple[str, str, int]]) -> None:
    """Scope checkboxes, the first one's centre at (box_x, top)."""
    for i, (name, description, level) in enumerate(scopes):
        row_y = top + i * 70
        indent = level * 60
        s.checkbox((box_x + indent, row_y))
        s.text((box_x + indent + 40, row_y), name, style="" if level else "Bold")
        s.text((box_x + 620, row_y), description, fill=MUTED if level else INK)
        if not level:
            s.draw.line([(box_x - 30, row_y - 35), (box_x + 1700, row_y - 35)], fill=BORDER,
                        width=2)


def new_token_form(s: Sketch, click: Point | None) -> str:
    """New personal access token (classic); the "repo" checkbox under the click."""
    x, y = need(click)
    s.topbar("Developer settings")
    developer_sidebar(s)
    left = x - 24
    s.text((left, y - 660), "New personal access token (classic)", size=HEADING)
    s.draw.line([(left, y - 600), (W - 180, y - 600)], fill=BORDER, width=3)
    s.text((left, y - 530), "Note", style="Bold")
    s.field(left, y - 490, 900, "autocon3-wsd2")
    s.text((left, y - 380), "What's this token for?", size=SMALL, fill=MUTED)
    s.text((left, y - 300), "Expiration", style="Bold")
    s.button((left + 160, y - 220), "30 days", caret=True)
    s.text((left + 340, y - 220), "The token will expire on Fri, Jun 20 2025", size=SMALL,
           fill=MUTED)
    s.text((left, y - 120), "Select scopes", style="Bold")
    s.text((left, y - 70), "Scopes define the access for personal tokens.", size=SMALL,
           fill=MUTED)
    _scope_rows(s, x, y, SCOPES_TOP)
    return '"repo" scope checkbox'


def new_token_form_end(s: Sketch, click: Point | None) -> str:
    """The same form scrolled to its end; the green "Generate token" under the click."""
    x, y = need(click)
    button = s.button((x, y), "Generate token", primary=True)
    s.text((button[2] + 50, y), "Cancel", fill=BLUE)
    box_x = button[0] + 24
    _scope_rows(s, box_x, y - 160 - (len(SCOPES_BOTTOM) - 1) * 70, SCOPES_BOTTOM)
    return '"Generate token" button'


FAKE_TOKEN = "ghp_" + "X" * 20  # obviously not a real token


def token_created(s: Sketch, click: Point | None) -> str:
    """Tokens (classic) right after creation: the new token and its copy button."""
    x, y = need(click)
    s.topbar("Developer settings")
    developer_sidebar(s)
    right = W - 180
    content = SIDEBAR_LEFT + SIDEBAR_W + 160
    heading_y = y - 330
    s.text((content, heading_y), "Personal access tokens (classic)", size=HEADING)
    s.button((right - 200, heading_y), "Generate new token", caret=True)
    s.draw.line([(content, heading_y + 60), (right, heading_y + 60)], fill=BORDER, width=3)
    s.box((content, y - 200, right, y - 100), fill="#ddf4ff", outline="#54aeff")
    s.text((content + 40, y - 150),
           "Make sure to copy your personal access token now. You won't be able to see it again!")
    s.box((content, y - 60, right, y + 160), fill=GREEN_LIGHT, outline="#4ac26b")
    token_w = s.width(FAKE_TOKEN, TEXT, "Mono")
    s.text((x - 50 - token_w, y), FAKE_TOKEN, style="Mono", anchor="lm")
    s.text((x - 90 - token_w, y), "\u2714", fill=GREEN, anchor="rm")
    s.box((x - 26, y - 30, x + 12, y + 18), radius=6, line=4)  # the copy icon: two sheets
    s.box((x - 12, y - 18, x + 26, y + 30), radius=6, line=4)
    s.text((content + 40, y + 100), "autocon3-wsd2 \u2014 repo", size=SMALL, fill=MUTED)
    return f'copy button beside the token box "{FAKE_TOKEN[:12]}..."'


# Step number -> the page that step's screenshot shows.
PAGES: dict[int, Page] = {
    1: login,
    2: dashboard,
    3: avatar_menu,
    4: settings_profile,
    5: developer_settings,
    6: developer_settings_open,
    7: tokens_page,
    8: tokens_menu,
    10: new_token_form,
    11: new_token_form_end,
    12: token_created,
}


def main() -> None:
    loaded = load_guide(GUIDE)
    for number, step in loaded.guide.numbered_steps():
        if step.image is None:
            continue
        click = click_point(step.image)
        sketch = Sketch()
        element = PAGES[number](sketch, click)
        sketch.stamp()
        target = loaded.base_dir / step.image.src
        target.parent.mkdir(parents=True, exist_ok=True)
        # Flat colours and anti-aliased text fit a 64-colour palette: files stay ~100 KB.
        sketch.image.quantize(PALETTE_COLOURS, dither=PILImage.Dither.NONE).save(
            target, optimize=True
        )
        where = f"click {click}" if click else "no marker"
        print(f"step {number:2}: {where:<18} {element} -> {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
