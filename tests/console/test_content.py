"""The console's texts go through `caunoi content check`: canned replies and console messages, phones included."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.content.check import check_content
from bot.content.console import canned_replies, close_tags, console_texts
from bot.settings import PROJECT_ROOT

CONTENT_DIR = PROJECT_ROOT / "content" / "vi"


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "vi"
    shutil.copytree(CONTENT_DIR, target, ignore=shutil.ignore_patterns("nlu"))
    return target


def test_the_real_console_texts_load() -> None:
    texts = console_texts(CONTENT_DIR)
    assert "{alias}" in texts.joined and "111" in texts.nobody_online
    assert "{link}" in texts.oncall_alert and "{alias}" not in texts.oncall_alert
    replies = canned_replies(CONTENT_DIR)
    assert len({reply.id for reply in replies}) == len(replies) >= 5
    # Grouped for the "/" search: the groups the night shift asked for (third-party reporters, children, abroad).
    assert {"Người thân báo tin", "Trẻ em", "Ở nước ngoài"} <= {reply.group for reply in replies}
    tags = close_tags(CONTENT_DIR)
    assert len({tag.id for tag in tags}) == len(tags) >= 5
    assert "{operator}" in texts.handed_back_note and "Mình đã đọc" not in texts.joined


def replace(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        path = root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return change


@pytest.mark.parametrize(("change", "file", "words"), [
    (replace("canned_replies.yml", "• 113 — Công an", "• 0912 345 678 — Công an"), "canned_replies.yml",
     "phone '0912 345 678' is not the phone of a verified directory entry"),
    (replace("console/messages.yml", "gọi 111 (miễn phí, 24/7), nguy hiểm", "gọi 18001567 (miễn phí), nguy hiểm"),
     "console/messages.yml", "out-of-date number"),
    (replace("canned_replies.yml", "  - id: so-khan-cap", "  - id: hoi-an-toan"), "canned_replies.yml",
     "id 'hoi-an-toan' is used twice"),
    (replace("canned_replies.yml", "    title: Số khẩn cấp\n", ""), "canned_replies.yml", "needs id, title and text"),
    (replace("console/messages.yml", "mình là {alias}", "mình là bạn"), "console/messages.yml",
     "joined must contain {alias}"),
    (replace("console/messages.yml", "withdrawn: |-", "withdrawn_typo: |-"), "console/messages.yml",
     "lacks withdrawn"),
    (replace("console/messages.yml", "Bàn giao từ {from} cho {to}: {note}", "Bàn giao từ {from} cho {to}"),
     "console/messages.yml", "handover_line must contain {note}"),
    (replace("console/close_tags.yml", "  - id: tre-em", "  - id: lua-dao-viec-lam"), "console/close_tags.yml",
     "id 'lua-dao-viec-lam' is used twice"),
    (replace("console/close_tags.yml", "    label: Trẻ em\n", ""), "console/close_tags.yml",
     "needs an id (a-z, 0-9, -) and a label"),
])
def test_broken_console_texts_fail_the_check(content_copy: Path, change: Callable[[Path], None], file: str,
                                             words: str) -> None:
    assert check_content(content_copy) == []
    change(content_copy)
    problems = [str(problem) for problem in check_content(content_copy)]
    assert any(file in problem and words in problem for problem in problems), problems
