"""`caunoi campaign` against a real Redis; the QR code decodes back to the exact link."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from bot.cli import main
from bot.settings import get_settings

LINK = "https://t.me/caunoi_test_bot?start=tet-2027_NA"


@pytest.fixture(autouse=True)
def environment(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("CAUNOI_TELEGRAM_BOT_USERNAME", "@caunoi_test_bot")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def create() -> int:
    return main(["campaign", "create", "tet-2027_NA", "--name", "Tết 2027 Nghệ An", "--team", "Nhóm A",
                 "--place", "Nghệ An", "--start", "2027-01-20", "--end", "2027-02-10", "--greeting", "Chào bạn!"])


def test_create_list_disable(capsys: pytest.CaptureFixture[str]) -> None:
    assert create() == 0
    assert capsys.readouterr().out == "campaign tet-2027_NA created\n"
    assert create() == 2 and "already exists" in capsys.readouterr().err
    assert main(["campaign", "list"]) == 0
    assert capsys.readouterr().out == "tet-2027_NA\tTết 2027 Nghệ An\tNhóm A\tNghệ An\t2027-01-20\t2027-02-10\tactive\n"
    assert main(["campaign", "disable", "tet-2027_NA"]) == 0
    assert main(["campaign", "list"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("\tdisabled")
    assert main(["campaign", "disable", "nope"]) == 2 and "no campaign" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "message"), [
    (["create", "bad code", "--name", "X"], "A-Z"),
    (["create", "ok", "--name", "X", "--start", "20-01-2027"], "YYYY-MM-DD"),
    (["create", "ok", "--name", "X", "--start", "2027-02-01", "--end", "2027-01-01"], "before the start"),
])
def test_bad_input_exits_2_with_a_reason(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert main(["campaign", *argv]) == 2
    assert message in capsys.readouterr().err


def test_link_prints_the_link_the_zalo_note_and_the_verification_sentence(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert create() == 0
    capsys.readouterr()
    assert main(["campaign", "link", "tet-2027_NA"]) == 0
    out = capsys.readouterr().out
    assert f"Telegram: {LINK}\n" in out
    assert "Zalo: no link parameter that reaches the bot could be verified" in out
    assert "nhắn mã tet-2027_NA" in out  # the Zalo line for the poster
    assert "Official bot: @caunoi_test_bot" in out
    assert "Kênh chính thức của Cầu Nối trên Telegram là @caunoi_test_bot" in out
    monkeypatch.setenv("CAUNOI_TELEGRAM_BOT_USERNAME", "")
    get_settings.cache_clear()
    assert main(["campaign", "link", "tet-2027_NA"]) == 2
    assert "CAUNOI_TELEGRAM_BOT_USERNAME is not set" in capsys.readouterr().err
    monkeypatch.setenv("CAUNOI_TELEGRAM_BOT_USERNAME", "caunoi.bot/evil?x=")
    get_settings.cache_clear()
    assert main(["campaign", "link", "tet-2027_NA"]) == 2
    assert "not a Telegram username" in capsys.readouterr().err


def test_the_qr_code_decodes_to_the_exact_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert create() == 0
    png, svg = tmp_path / "tet.png", tmp_path / "tet.svg"
    assert main(["campaign", "qr", "tet-2027_NA", "-o", str(png)]) == 0
    decoded = zxingcpp.read_barcodes(Image.open(png))
    assert [(code.format, code.text) for code in decoded] == [(zxingcpp.BarcodeFormat.QRCode, LINK)]
    assert main(["campaign", "qr", "tet-2027_NA", "-o", str(svg)]) == 0
    assert svg.read_text().lstrip().startswith(("<?xml", "<svg"))
    capsys.readouterr()
    pdf = tmp_path / "tet-a5.pdf"
    assert main(["campaign", "qr", "tet-2027_NA", "-o", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF-") and "A5 poster" in capsys.readouterr().out
    assert main(["campaign", "qr", "tet-2027_NA", "-o", str(tmp_path / "tet.jpg")]) == 2
    assert ".png or .svg" in capsys.readouterr().err
    assert main(["campaign", "qr", "nope", "-o", str(png)]) == 2


def test_stats_show_small_counts_as_under_five(capsys: pytest.CaptureFixture[str], redis_url: str) -> None:
    import redis

    from bot.state import keys

    assert create() == 0
    client = redis.Redis.from_url(redis_url)
    client.hset(keys.campaign_counts("tet-2027_NA", "2027-01-21"), mapping={"started": 12, "escalated": 2})
    client.sadd(keys.campaign_days("tet-2027_NA"), "2027-01-21")
    client.close()
    capsys.readouterr()
    assert main(["campaign", "stats", "--csv"]) == 0
    assert capsys.readouterr().out == ("campaign,day,started,answered,job_check,service_search,escalated,referred\n"
                                       "tet-2027_NA,2027-01-21,12,0,0,0,<5,0\n")
    assert main(["campaign", "stats"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "tet-2027_NA\t2027-01-21\t12\t0\t0\t0\t<5\t0"
