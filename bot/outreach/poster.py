"""A printable A5 poster for a campaign: the bot's name, a one-line invitation, the QR code of the Telegram link, the
official username, the Zalo line, 111 and the verification sentence (texts in content/vi/dialogue.yml `outreach`).

Drawn with Pillow at 300 dpi and saved as a one-page PDF, so no PDF library is needed. The font is DejaVu Sans (it
has every Vietnamese letter), taken from matplotlib's package data, which Rasa installs, or from the system.
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bot.outreach.material import official_bot, qr_image, telegram_link, texts, verification, zalo_line
from bot.state.campaigns import CampaignError

DPI = 300
A5_MM = (148, 210)
SIZE = (round(A5_MM[0] / 25.4 * DPI), round(A5_MM[1] / 25.4 * DPI))  # 1748 x 2480 px
MARGIN = 120
INK = (20, 20, 20)
ACCENT = (160, 20, 40)
SYSTEM_FONTS = (Path("/usr/share/fonts/truetype/dejavu"),)


class FontMissing(CampaignError):
    """No font with Vietnamese letters was found: the poster cannot be drawn."""


def font_file(bold: bool) -> Path:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    spec = importlib.util.find_spec("matplotlib")
    folders = [Path(p) / "mpl-data" / "fonts" / "ttf" for p in (spec.submodule_search_locations or [])] if spec else []
    for folder in (*folders, *SYSTEM_FONTS):
        if (folder / name).is_file():
            return folder / name
    raise FontMissing("no DejaVu Sans font found (matplotlib or fonts-dejavu): cannot draw the poster")


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_file(bold)), size)


def wrapped(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}".strip()
            if line and face.getlength(candidate) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def poster_image(username: str, code: str, content_dir: Path | None = None) -> Image.Image:
    """The poster as an image (tests decode its QR code); LinkUnavailable without an official bot username."""
    poster = texts(content_dir).poster
    link = telegram_link(username, code)
    bot = official_bot(username)
    page = Image.new("RGB", SIZE, "white")
    draw = ImageDraw.Draw(page)
    width = SIZE[0] - 2 * MARGIN
    y = MARGIN

    def block(text: str, face: ImageFont.FreeTypeFont, colour: tuple[int, int, int] = INK, gap: int = 30) -> None:
        nonlocal y
        for line in wrapped(text, face, width):
            left = (SIZE[0] - face.getlength(line)) / 2
            draw.text((left, y), line, font=face, fill=colour)
            y += round(face.size * 1.25)
        y += gap

    block(poster.title, font(130, bold=True), ACCENT, gap=40)
    block(poster.invitation, font(62, bold=True), gap=50)
    qr = Image.open(io.BytesIO(qr_image(link, "png"))).convert("RGB")
    side = 980
    qr = qr.resize((side, side), Image.Resampling.NEAREST)  # whole modules stay sharp
    page.paste(qr, ((SIZE[0] - side) // 2, y))
    y += side + 30
    block(poster.scan.format(bot=bot), font(50, bold=True), gap=40)
    block(zalo_line(code, content_dir), font(42), gap=50)
    block(poster.emergency, font(58, bold=True), ACCENT, gap=50)
    block(verification(username, content_dir), font(34))
    return page


def poster_pdf(username: str, code: str, content_dir: Path | None = None) -> bytes:
    """The A5 poster as a one-page PDF (300 dpi)."""
    buffer = io.BytesIO()
    poster_image(username, code, content_dir).save(buffer, "PDF", resolution=DPI)
    return buffer.getvalue()
