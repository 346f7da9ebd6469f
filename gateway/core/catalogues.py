"""The message catalogues: gettext ``.po`` files (Babel), one per language besides the
source language, English.

``gateway/translations/<language>/LC_MESSAGES/messages.po`` is what translators edit and
what the repository holds. ``compile_into`` turns them into the ``.mo`` files gettext
reads, at start (so a fresh checkout needs no build step); ``script_messages`` gives the
pages' scripts their part of the same catalogue; ``extract`` finds every translatable
string of the gateway: ``_``/``N_``-marked and error-message strings in Python, ``_`` in
the page templates, ``t(...)`` in the pages' scripts.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import tempfile
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from gateway.core.languages import LANGUAGES, SOURCE_LANGUAGE

CHECKOUT = Path(__file__).resolve().parents[2]
TRANSLATIONS = CHECKOUT / "gateway" / "translations"
DOMAIN = "messages"
SCRIPTS = "static/js/"  # where a message's location makes it part of the scripts' catalogue

# Where translatable strings are and how each kind of file is read.
METHODS = [
    ("gateway/**.py", "python"),
    ("gateway/web/templates/**.html", "jinja2.ext:babel_extract"),
    ("static/js/**.js", "javascript"),
]
OPTIONS = {"gateway/web/templates/**.html": {"extensions": "jinja2.ext.i18n",
                                             "trimmed": "true"},
           # t("...") inside a `...${t("...")}...` template literal too.
           "static/js/**.js": {"parse_template_string": "true"}}


def translated_languages() -> tuple[str, ...]:
    """The languages that have a catalogue (every one but the source language)."""
    return tuple(language for language in LANGUAGES if language != SOURCE_LANGUAGE)


def po_path(language: str) -> Path:
    return TRANSLATIONS / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def read_catalogue(language: str) -> Catalog:
    """The catalogue of *language*, as the repository holds it (read once)."""
    with po_path(language).open("rb") as po:
        return read_po(po, locale=language, domain=DOMAIN)


def compile_into(folder: Path) -> Path:
    """Write each catalogue's ``.mo`` under *folder* (``<language>/LC_MESSAGES``) where it
    is missing or older than its ``.po``, and return *folder*. Each file is written to a
    temporary name and renamed, so processes starting together never read half a file."""
    for language in translated_languages():
        source = po_path(language)
        target = folder / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
        if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as mo:
            write_mo(mo, read_catalogue(language), use_fuzzy=False)
        os.replace(mo.name, target)
    return folder


@cache
def _translations(language: str) -> dict[str, str]:
    if language not in translated_languages():
        return {}
    return {message.id: message.string for message in read_catalogue(language)
            if message.id and message.string and not message.fuzzy}


def translate(language: str, text: str, **params: object) -> str:
    """*text* (fixed English, with "{name}" for each of *params*) in *language*, outside
    any request: for what the gateway sends on its own, such as push announcements."""
    translated = _translations(language).get(text, text)
    return translated.format(**params) if params else translated


def script_messages(language: str) -> dict[str, str]:
    """What the pages' scripts show, in *language*: their source text -> its translation
    (nothing for the source language, whose scripts show their own text)."""
    if language == SOURCE_LANGUAGE:
        return {}
    return {
        message.id: message.string
        for message in read_catalogue(language)
        if message.id and message.string and not message.fuzzy
        and any(place.startswith(SCRIPTS) for place, _ in message.locations)
    }


def error_classes() -> list[type]:
    """Every error class of the gateway (each of its modules imported, so each is defined,
    whatever imported what before)."""
    import gateway
    from gateway.core.errors import GatewayError

    for module in pkgutil.walk_packages(gateway.__path__, "gateway."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)

    found, stack = [], [GatewayError]
    while stack:
        kind = stack.pop()
        found.append(kind)
        stack.extend(kind.__subclasses__())
    return found


def _titles() -> Iterator[tuple[str, str, int]]:
    """Each error class's title, where it is written: what a problem's ``title`` says."""
    for kind in error_classes():
        if "title" in vars(kind):
            source = Path(inspect.getsourcefile(kind)).relative_to(CHECKOUT).as_posix()
            yield kind.title, source, inspect.getsourcelines(kind)[1]


def extract() -> Catalog:
    """Every translatable string of the gateway, as a template catalogue (msgstr empty)."""
    # The first argument of ``raise NotFound("...")`` is the detail a person reads.
    errors = {kind.__name__: (1,) for kind in error_classes()}
    keywords = {**DEFAULT_KEYWORDS, **errors, "t": None}
    template = Catalog(project="Companion Gateway", domain=DOMAIN, fuzzy=False)
    found = extract_from_dir(CHECKOUT, METHODS, OPTIONS, keywords,
                             comment_tags=("Translators:",), strip_comment_tags=True)
    for filename, line, message, comments, context in found:
        template.add(message, None, [(filename, line)], auto_comments=comments,
                     context=context)
    for title, source, line in _titles():
        template.add(title, None, [(source, line)])
    return template


def untranslated(template: Catalog, catalogue: Catalog) -> list[str]:
    """The strings of *template* that *catalogue* does not translate (or only fuzzily)."""
    return [message.id for message in template if message.id and (
        not (found := catalogue.get(message.id)) or not found.string or found.fuzzy)]


def update(languages: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Bring each catalogue up to date with the code: new strings added untranslated,
    strings no longer used dropped. Returns, per language, the strings still untranslated."""
    template = extract()
    missing = {}
    for language in languages or translated_languages():
        path = po_path(language)
        if path.exists():
            with path.open("rb") as po:
                catalogue = read_po(po, locale=language, domain=DOMAIN)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalogue = Catalog(locale=language, domain=DOMAIN, project="Companion Gateway")
        catalogue.update(template, no_fuzzy_matching=True)
        catalogue.obsolete.clear()
        with path.open("wb") as po:
            write_po(po, catalogue, width=100, omit_header=False, sort_by_file=True,
                     ignore_obsolete=True)
        missing[language] = untranslated(template, catalogue)
    read_catalogue.cache_clear()
    _translations.cache_clear()
    return missing
