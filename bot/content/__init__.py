"""Everything Cầu Nối shows people, as typed data: the service directory, guidance articles, gateway texts.

    from bot.content import load_content
    content = load_content(settings.content_dir)        # once per process; raises ContentError if malformed
    content.directory.abroad("Campuchia")                # verified entries only
    content.articles["victim-rights"].section("boi-thuong")  # one section of a guidance article
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
