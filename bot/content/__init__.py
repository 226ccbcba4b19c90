"""Everything Cầu Nối shows people, as typed data: the service directory, guidance articles, gateway texts, the
dialogue's labels and rules (dialogue.yml), and the language tables the NLU shares with the gateway and the actions.

    from bot.content import load_content
    content = load_content(settings.content_dir)        # once per process; raises ContentError if malformed
    content.directory.abroad("Campuchia")                # verified entries only
    content.articles["victim-rights"].section("boi-thuong")  # one section of a guidance article
    content.dialogue.job_check.questions["abroad"]       # dialogue.yml, typed (models.Dialogue)
    content.triage, content.teencode, content.gazetteer  # read by nlu/tables, the one reader of those files

The language tables are read by nlu/tables rather than here because the NLU components run inside Rasa and may import
nothing of bot/; this package builds on them (and checks what the assistant shows from the same files: a kind of
help's label and sourced reach text, the province boxes), so each content file has exactly one reader.
"""

from bot.content.directory import Directory
from bot.content.loader import Content, ContentError, gateway_texts, load_content, read_content
from bot.content.models import Article, Entry, GatewayTexts, Problem, Province, Section, Source

__all__ = [
    "Article",
    "Content",
    "ContentError",
    "Directory",
    "Entry",
    "GatewayTexts",
    "Problem",
    "Province",
    "Section",
    "Source",
    "gateway_texts",
    "load_content",
    "read_content",
]
