"""The house rules: which package may import which, read from the source with `ast` (imports inside functions and
under TYPE_CHECKING count too). docs/architecture.md draws the same arrows.

A rule names a room (a package or module prefix) and the prefixes it must never import. Rooms not named here may
import anything below them; the rules are the edges that would turn the arrows upward.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "nlu", "actions", "bench", "load", "evaluation", "tests", "harness")

BOT_BASE = ("bot.settings", "bot.messages", "bot.privacy", "bot.logs", "bot.internal_token", "bot.json_body")
ABOVE_STATE = ("bot.channels", "bot.gateway", "bot.console", "bot.cli", "bot.app", "bot.rasa_server", "bot.outreach")


@dataclass(frozen=True)
class Rule:
    room: str
    never: tuple[str, ...] = ()
    only: tuple[str, ...] | None = None  # of the project's own packages; None: anything not in `never`
    why: str = ""


RULES = (
    Rule("nlu", never=("bot", "actions", "tests", "harness", "bench", "evaluation"),
         why="the NLU runs inside Rasa and is given its tables; it knows nothing of the assistant around it"),
    Rule("actions", only=("actions", "nlu", "bot.state", "bot.content", "bot.outreach", "bot.messages",
                          "bot.settings", "bot.privacy"),
         why="the action server shares state and content with the gateway, never its machinery"),
    Rule("bot.settings", only=("bot.settings",), why="settings sit under everything"),
    Rule("bot.messages", only=("bot.messages",), why="the message types sit under everything"),
    Rule("bot.privacy", only=("bot.privacy", "bot.settings")),
    Rule("bot.internal_token", only=("bot.internal_token", "bot.settings")),
    Rule("bot.json_body", only=("bot.json_body",)),
    Rule("bot.logs", only=("bot.logs", "bot.settings", "bot.privacy")),
    Rule("bot.content", only=("bot.content", "nlu", *BOT_BASE), why="content is read by every process"),
    Rule("bot.state", never=ABOVE_STATE, why="state is shared by every process and serves them all"),
    Rule("bot.media", never=ABOVE_STATE,
         why="reading pictures is given bytes by the gateway; it knows no channel, gateway or console"),
    Rule("bot.outreach", never=("bot.channels", "bot.gateway", "bot.console", "bot.cli", "bot.app", "bot.rasa_server")),
    Rule("bot.channels", never=("bot.gateway", "bot.console", "bot.cli", "bot.app", "bot.rasa_server"),
         why="a channel adapter turns platform updates into messages; the gateway drives it"),
    Rule("bot.rasa_server", never=("bot.channels", "bot.gateway", "bot.console", "bot.cli", "bot.app", "bot.outreach"),
         why="runs inside the Rasa and action servers, which have none of the gateway"),
    Rule("bot.gateway", never=("bot.console", "bot.cli", "bot.app", "bot.rasa_server"),
         why="only bot.app mounts the console; the CLI starts the gateway, not the other way round"),
    Rule("bot.console", never=("bot.cli", "bot.app", "bot.rasa_server")),
    Rule("bot.app", never=("bot.cli",)),
    Rule("bench", never=("tests",), why="benchmarks use the shared doubles in harness/, never the test suite"),
    Rule("load", never=("tests",)),
    Rule("evaluation", never=("tests",)),
    Rule("harness", never=("tests",)),
    Rule("bot", never=("tests", "bench", "load", "evaluation", "harness"), why="production code never imports tests"),
)


def under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:  # `from bot import gateway` names a module
                yield node.lineno, f"{target}.{alias.name}"


def own(name: str) -> bool:
    return name.split(".")[0] in PACKAGES


def rule_for(module: str) -> list[Rule]:
    """Every rule whose room holds the module, most specific last."""
    return sorted((rule for rule in RULES if under(module, rule.room)), key=lambda rule: len(rule.room))


def allowed(rule: Rule, target: str) -> bool:
    if any(under(target, banned) for banned in rule.never):
        return False
    if rule.only is not None and own(target):
        # `from bot import gateway` yields both "bot" and "bot.gateway": the package itself is always allowed
        return target in ("bot",) or any(under(target, ok) for ok in rule.only)
    return True


def violations(root: Path = PROJECT) -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")) if (root / package).is_dir() else ():
            module = module_name(path, root)
            rules = rule_for(module)
            if not rules:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for line, target in imported(tree, module, path.name == "__init__.py"):
                if not own(target) or under(target, module):
                    continue
                broken = next((r for r in reversed(rules) if not allowed(r, target)), None)
                if broken:
                    found.append(f"{path.relative_to(root)}:{line}: {module} imports {target} "
                                 f"(rule for {broken.room}{': ' + broken.why if broken.why else ''})")
    return sorted(set(found))
