"""The language tables: the components read them from the folder they are given, keep them in the model, and refuse
malformed ones with the file and the problem named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.settings import from_environment
from nlu import tables
from nlu.entity_extractor import GazetteerEntityExtractor
from nlu.normaliser import VietnameseNormaliser
from nlu.tables.files import PROJECT_CONTENT_DIR

CONTEXT = ExecutionContext(GraphSchema({}), "test")


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "vi"
    shutil.copytree(PROJECT_CONTENT_DIR, target, ignore=shutil.ignore_patterns("nlu", "directory", "articles"))
    (tmp_path / "model").mkdir()
    return target


def edit(root: Path, relative: str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize("variable", ["", "/srv/caunoi/content/vi"])
def test_the_default_folder_is_the_one_the_settings_name(variable: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAUNOI_CONTENT_DIR", variable)
    assert tables.content_dir() == from_environment({"CAUNOI_CONTENT_DIR": variable}).content_dir
    assert tables.content_dir("elsewhere/vi") == Path("elsewhere/vi")  # config.yml's content_dir wins


def extract(extractor: GazetteerEntityExtractor, text: str) -> list[tuple[str, str]]:
    message = Message(data={TEXT: text})
    extractor.process([message])
    return [(found["entity"], found["value"]) for found in message.get(ENTITIES)]


def test_a_component_reads_the_folder_it_is_given_and_keeps_what_it_read(copy: Path, tmp_path: Path) -> None:
    edit(copy, "gazetteer/countries.yml", "places: [Viêng Chăn,", "places: [Thà Khẹt, Viêng Chăn,")
    storage, resource = LocalModelStorage(tmp_path / "model"), Resource("gazetteer")
    config = {**GazetteerEntityExtractor.get_default_config(), "content_dir": str(copy)}
    trained = GazetteerEntityExtractor.create(config, storage, resource, CONTEXT)
    assert extract(trained, "tôi đang làm ở Thà Khẹt") == [("country", "Lào")]
    default = GazetteerEntityExtractor.create(GazetteerEntityExtractor.get_default_config(), storage, resource, CONTEXT)
    assert extract(default, "tôi đang làm ở Thà Khẹt") == []  # the project's own gazetteer does not name it

    trained.train(TrainingData())
    shutil.rmtree(copy)  # the content changes after training: the model keeps parsing as it was trained
    loaded = GazetteerEntityExtractor.load(config, storage, resource, CONTEXT)
    assert extract(loaded, "toi dang lam o tha khet") == [("country", "Lào")]
    assert extract(loaded, "em o sihanoukville") == [("country", "Campuchia")]


def test_the_normaliser_from_a_model_normalises_as_when_it_was_trained(copy: Path, tmp_path: Path) -> None:
    edit(copy, "normalise/teencode.yml", "\nwords:\n", "\nwords:\n  zzq: không\n")
    storage, resource = LocalModelStorage(tmp_path / "model"), Resource("normaliser")
    config = {**VietnameseNormaliser.get_default_config(), "content_dir": str(copy)}
    normaliser = VietnameseNormaliser.create(config, storage, resource, CONTEXT)
    assert normaliser.normalise("zzq dc").text == "không được"
    normaliser.train(TrainingData())
    loaded = VietnameseNormaliser.load(config, storage, resource, CONTEXT)
    assert loaded.normalise("zzq dc").text == "không được"


@pytest.mark.parametrize(("component", "relative", "old", "new", "words"), [
    (GazetteerEntityExtractor, "gazetteer/provinces.yml", "    centroid: [10.01, 105.08]\n", "",
     "gazetteer/provinces.yml: province 'An Giang': needs name, bbox [4 numbers], centroid [2 numbers]"),
    (GazetteerEntityExtractor, "gazetteer/countries.yml", "aliases: [Laos, Lao PDR, Ai Lao]", "aliases: Laos",
     "gazetteer/countries.yml: country 'Lào': aliases must be a list of texts"),
    (VietnameseNormaliser, "normalise/teencode.yml", "\nwords:\n", "\nwords: [ko]\nold_words:\n",
     "normalise/teencode.yml: words must be a mapping of what is typed: what it stands for"),
])
def test_a_malformed_table_stops_training_with_the_file_named(copy: Path, tmp_path: Path, component: type,
                                                               relative: str, old: str, new: str, words: str) -> None:
    edit(copy, relative, old, new)
    config = {**component.get_default_config(), "content_dir": str(copy)}
    with pytest.raises(tables.TableError) as raised:
        component.create(config, LocalModelStorage(tmp_path / "model"), Resource("x"), CONTEXT)
    assert f"{copy / words.split(': ', 1)[0]}: {words.split(': ', 1)[1]}" in str(raised.value)


@pytest.mark.parametrize(("old", "new", "words"), [
    ("  - id: documents_taken\n    ilo:", "  - id: documents_taken\n    phrase: [bị giữ]\n    ilo:",
     "indicator documents_taken: phrase is not an indicator key"),
    ("    level: high\n    reason: \"Bị giữ giấy tờ", "    level: severe\n    reason: \"Bị giữ giấy tờ",
     "indicator documents_taken: level 'severe' is not one of none, low, medium, high"),
    ("  - all_of: [minor, deception]", "  - all_of: [minor, deceptions]",
     "combination 2: 'deceptions' is not an indicator"),
    ("  - sign: phone_hide\n", "  - sign: phone_hidden\n", "answered: 'phone_hidden' is not an indicator"),
    ("  indicator: past_exploitation", "  indicator: past_abuse", "past: 'past_abuse' is not an indicator"),
    ("  - count_at_least: 2", "  - count_at_least: two",
     "combination 4: needs either all_of: [signs] or count_at_least"),
    ("minor_age_regex: '\\b(?:", "minor_age_regex: '\\b((?:", "indicator minor: the regex does not compile"),
])
def test_the_triage_rules_are_checked_as_they_are_read(copy: Path, old: str, new: str, words: str) -> None:
    edit(copy, "triage/indicators.yml", old, new)
    _, problems = tables.TRIAGE.read(copy)
    assert any(problem.file == copy / "triage/indicators.yml" and words in problem.message for problem in problems), \
        "\n".join(map(str, problems))
