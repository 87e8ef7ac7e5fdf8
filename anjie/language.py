"""The command line's language: Chinese by default (the web app's catalogue), English on request."""

from __future__ import annotations

import gettext
import importlib.util
from collections.abc import Callable
from pathlib import Path

from engine import Problem, describe_problem

#: The languages `--lang` takes; the first is the default, as in the web app.
LANGUAGES = ("zh", "en")
_CATALOGUE_LOCALE = "zh_Hans_CN"


def translator(lang: str) -> Callable[[str], str]:
    """gettext for `lang`: the web app's zh catalogue for "zh" (English when it is not installed)."""
    if lang != "zh":
        return gettext.NullTranslations().gettext
    spec = importlib.util.find_spec("webapp")
    if spec is None or not spec.submodule_search_locations:
        return gettext.NullTranslations().gettext
    folder = Path(next(iter(spec.submodule_search_locations))) / "translations"
    return gettext.translation("messages", folder, [_CATALOGUE_LOCALE], fallback=True).gettext


def problem_lines(problems: list[Problem], lang: str) -> list[str]:
    """One line per problem of a refused diagram, in `lang`."""
    say = translator(lang)
    return [describe_problem(p, say) for p in problems]
