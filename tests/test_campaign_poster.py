"""The A5 poster (bot/outreach/poster.py): its QR code decodes to the exact link, it names the bot and 111, and the
PDF page is A5."""

from __future__ import annotations

import re

import pytest
import zxingcpp

from bot.outreach.material import LinkUnavailable
from bot.outreach.poster import poster_image, poster_pdf

LINK = "https://t.me/caunoi_test_bot?start=tet-2027_NA"


def test_the_poster_qr_code_decodes_to_the_exact_link() -> None:
    image = poster_image("@caunoi_test_bot", "tet-2027_NA")
    assert image.size == (1748, 2480)  # A5 at 300 dpi
    decoded = zxingcpp.read_barcodes(image)
    assert [(code.format, code.text) for code in decoded] == [(zxingcpp.BarcodeFormat.QRCode, LINK)]


def test_the_pdf_is_one_a5_page() -> None:
    document = poster_pdf("caunoi_test_bot", "tet-2027_NA")
    assert document.startswith(b"%PDF-")
    boxes = re.findall(rb"MediaBox \[ ?([\d. ]+?) ?\]", document)
    assert len(boxes) == 1
    width, height = (float(n) for n in boxes[0].split()[2:])
    assert abs(width - 148 / 25.4 * 72) < 1 and abs(height - 210 / 25.4 * 72) < 1  # points


def test_no_poster_without_the_official_username() -> None:
    with pytest.raises(LinkUnavailable):
        poster_pdf("", "tet-2027_NA")
