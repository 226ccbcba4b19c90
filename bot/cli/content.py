"""`caunoi content check`: validates everything under the content folder; exit 1 with one line per problem.

    caunoi content check                      # the folder of CAUNOI_CONTENT_DIR (default content/vi)
    caunoi content check --content-dir DIR
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.content.check import check_content
from bot.content.loader import read_content
from bot.content.models import Problem
from bot.settings import get_settings

__all__ = ["check_content", "display_path", "register"]


def register(commands: Any) -> tuple[str, Any]:
    parser = commands.add_parser("content", help="check the content (directory, articles, texts)")
    actions = parser.add_subparsers(dest="content_command", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="validate everything; exit 1 and list the problems if any")
    check.add_argument("--content-dir", type=Path, help="content folder (default: CAUNOI_CONTENT_DIR or content/vi)")
    return "content", handle


def display_path(path: Path) -> str:
    """The path relative to the working directory when it is below it: shorter, and clickable in editors."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def handle(args: argparse.Namespace) -> int:
    content_dir: Path = args.content_dir or get_settings().content_dir
    problems = check_content(content_dir)
    for problem in problems:
        print(str(Problem(Path(display_path(problem.file)), problem.message)), file=sys.stderr)
    if problems:
        print(f"content check: {len(problems)} problem(s) in {display_path(content_dir)}", file=sys.stderr)
        return 1
    content, _ = read_content(content_dir)
    assert content is not None  # no problems means everything loaded
    entries = content.directory
    print(f"content OK: {len(entries)} directory entries ({len(entries.verified())} verified), "
          f"{len(content.articles)} articles, {len(content.provinces)} provinces in {display_path(content_dir)}")
    return 0
