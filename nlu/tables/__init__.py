"""The language tables, typed: teencode, the gazetteer and the triage rules, each read from `content/<language>/` by
one reader into frozen models. The one loader for these files; bot/content builds on it.

They live here, not in bot/content, because the components that run inside Rasa are built from them and nlu/ imports
nothing of the assistant around it (tests/house/imports.py). A component is given its folder (its `content_dir` in
config.yml, else the deployment's, see `content_dir`), reads its table's files when trained and keeps their
documents in the model:

    from nlu import tables
    documents = tables.TRIAGE.documents(tables.content_dir())   # checked; TableError names every problem
    rules = tables.TRIAGE.of(documents)                           # TriageRules, also from documents kept in a model

bot/content's `load_content` reads them with everything else the assistant shows (`tables.GAZETTEER.read(dir)` gives
the table and every problem, for `caunoi content check`), so the gateway and the actions use the same models.
"""

from nlu.tables.files import Problem, Reader, TableError, content_dir, iso_date, parse_yaml, strings
from nlu.tables.indicators import TRIAGE, Answered, Combination, Graded, Indicator, Past, TriageRules
from nlu.tables.places import GAZETTEER, Country, GazetteerTables, NameRules, Province, ServiceType
from nlu.tables.teencode import TEENCODE, Teencode

__all__ = [
    "GAZETTEER",
    "TEENCODE",
    "TRIAGE",
    "Answered",
    "Combination",
    "Country",
    "GazetteerTables",
    "Graded",
    "Indicator",
    "NameRules",
    "Past",
    "Problem",
    "Province",
    "Reader",
    "ServiceType",
    "TableError",
    "Teencode",
    "TriageRules",
    "content_dir",
    "iso_date",
    "parse_yaml",
    "strings",
]
