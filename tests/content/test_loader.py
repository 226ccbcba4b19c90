from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.content import Content, ContentError, GatewayTexts, gateway_texts, load_content
from bot.content.phones import OUTDATED, canonical

from .conftest import CONTENT_DIR

SLUGS = {"danger-abroad", "danger-in-vietnam", "fake-job-signs", "check-agency", "legal-fees", "victim-rights",
         "victim-support",
         "never-pay-rescuers", "missing-family", "safe-phone", "safe-migration", "labour-trafficking"}
VERIFIED = {"tong-dai-111", "cong-an-113", "bao-ho-cong-dan", "dolab-tra-cuu-doanh-nghiep", "colab-eps-han-quoc",
            "tinnhiemmang-tra-cuu-website", "chongluadao-tra-cuu-website"}
# Added from vn-facts §8 (the December 2025 review), read on 2026-12-06.
VERIFIED_FROM_SECTION_8 = {"tro-giup-phap-ly-1800-1233", "cap-cuu-115"}
UNVERIFIED = {"dolab-duong-day-khieu-nai", "ngoi-nha-binh-yen", "quang-ninh-duong-day-mien-phi",
              "dai-su-quan-campuchia", "tong-lanh-su-quan-sihanoukville", "dai-su-quan-myanmar"}


def test_loads_everything(content: Content) -> None:
    assert len(content.provinces) == 34
    assert {"Hà Nội", "Hồ Chí Minh", "An Giang", "Huế"} <= set(content.provinces)
    assert set(content.service_labels) == {"shelter", "legal_aid", "psychological", "medical", "vocational_training",
                                           "employment", "loan", "police", "embassy", "schooling",
                                           "hardship_allowance"}
    assert content.service_labels["embassy"] == "Đại sứ quán, lãnh sự"
    assert {"Campuchia", "Myanmar", "Lào"} <= set(content.countries)
    assert set(content.articles) == SLUGS
    assert "113" in content.gateway.degraded


def test_loaded_once_per_folder(content: Content) -> None:
    assert load_content(CONTENT_DIR) is content
    assert load_content(CONTENT_DIR / ".." / "vi") is content


def test_gateway_texts_keep_their_import_path() -> None:
    texts = gateway_texts(CONTENT_DIR)
    assert isinstance(texts, GatewayTexts)
    assert texts.empty and texts.degraded
    assert all(isinstance(value, str) and value for value in texts.extra.values())


def test_seed_is_verified_exactly_where_vn_facts_confirms(content: Content) -> None:
    directory = content.directory
    # The seed (national.yml, abroad.yml, the first Quảng Ninh line); the rest of provinces/ is checked in
    # test_directory_provinces.py.
    seed = [entry for entry in directory
            if not entry.file.startswith("directory/provinces/") or entry.id in VERIFIED | UNVERIFIED]
    assert {entry.id for entry in seed if entry.verified} == VERIFIED | VERIFIED_FROM_SECTION_8
    assert {entry.id for entry in seed if not entry.verified} == UNVERIFIED
    for entry in (entry for entry in seed if entry.verified):
        read = date(2026, 12, 6) if entry.id in VERIFIED_FROM_SECTION_8 else date(2026, 11, 29)
        assert entry.source_urls and entry.verified_at == read, entry.id
        assert all(url.startswith("https://") for url in entry.source_urls)
    hotline = directory.by_id("tong-dai-111")
    assert hotline is not None and hotline.phones == ("111",) and len(hotline.source_urls) == 3
    consular = directory.by_id("bao-ho-cong-dan")
    assert consular is not None
    assert [canonical(p) for p in consular.phones] == ["0981848484", "0965411118"]
    assert consular.email == "baohocongdan@gmail.com"


def test_no_outdated_number_anywhere_in_the_directory(content: Content) -> None:
    assert not {canonical(phone) for entry in content.directory for phone in entry.phones} & OUTDATED


def test_shelters_never_show_their_address(content: Content) -> None:
    shelters = [entry for entry in content.directory if entry.type == "shelter"]
    assert shelters and all(entry.confidential and entry.public_address is None for entry in shelters)


def test_articles_have_sources_and_fit_a_chat_message(content: Content) -> None:
    for article in content.articles.values():
        assert article.title and article.summary and article.sources, article.slug
        assert all(0 < len(section.text) <= 1200 for section in article.sections), article.slug  # one answer
        assert all(source.url.startswith("https://") for source in article.sources)
        assert set(article.related) <= SLUGS


def test_malformed_content_raises_with_file_and_reason(content_copy: Path) -> None:
    (content_copy / "directory" / "national.yml").write_text("entries:\n  - id: X\n    name: x\n", encoding="utf-8")
    with pytest.raises(ContentError) as raised:
        load_content(content_copy)
    message = str(raised.value)
    assert "national.yml" in message
    assert "id 'X' must be lower-case" in message
    assert "missing type, status" in message


def test_missing_gateway_texts_raise(content_copy: Path) -> None:
    (content_copy / "gateway" / "messages.yml").write_text("degraded: x\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"messages\.yml: lacks empty"):
        load_content(content_copy)
