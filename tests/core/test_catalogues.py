"""The catalogues stay complete: every string a person can read, in the code, the pages and
their scripts, has its Chinese translation, with the same placeholders and markup."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from gateway.core import catalogues

CHECKOUT = Path(__file__).resolve().parents[2]
PLACEHOLDERS = re.compile(r"\{\w+\}|%\(\w+\)s|</?\w+[^>]*>")


@pytest.fixture(scope="module")
def extracted():
    return catalogues.extract()


@pytest.mark.parametrize("language", catalogues.translated_languages())
def test_every_string_has_a_translation(extracted, language):
    missing = catalogues.untranslated(extracted, catalogues.read_catalogue(language))
    assert not missing, (f"{len(missing)} strings lack a {language} translation (run "
                         f"`flask --app wsgi gateway translations` and translate them): "
                         f"{missing[:10]}")


@pytest.mark.parametrize("language", catalogues.translated_languages())
def test_no_translation_is_left_over_from_strings_the_code_no_longer_has(extracted, language):
    unused = [message.id for message in catalogues.read_catalogue(language)
              if message.id and message.id not in extracted]
    assert not unused, f"{language} translates strings nothing shows: {unused[:10]}"


@pytest.mark.parametrize("language", catalogues.translated_languages())
def test_a_translation_keeps_every_placeholder_and_tag(language):
    wrong = [(message.id, message.string) for message in catalogues.read_catalogue(language)
             if message.id and message.string and
             sorted(PLACEHOLDERS.findall(message.id)) != sorted(PLACEHOLDERS.findall(message.string))]
    assert not wrong, wrong[:5]


def _formatted_error_messages() -> list[str]:
    """``raise SomeError(f"...")``: a message formatted before the web layer can translate it."""
    names = {kind.__name__ for kind in catalogues.error_classes()}
    found = []
    for path in (CHECKOUT / "gateway").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in names and node.args
                    and not isinstance(node.args[0], ast.Constant)):
                found.append(f"{path.relative_to(CHECKOUT)}:{node.lineno}")
    return found


def test_error_messages_are_fixed_texts_with_named_parameters():
    # A formatted message cannot be looked up in the catalogue: write
    # raise NotFound("No report {name}.", params={"name": name}) instead.
    assert _formatted_error_messages() == []


# A script's t("...") call with a literal first argument (perhaps "..." + "..."), wherever
# it stands.
LITERAL = r'"(?:[^"\\]|\\.)*"'
SCRIPT_CALL = re.compile(rf"(?<![\w.])t\(\s*({LITERAL}(?:\s*\+\s*{LITERAL})*)")


def _text(literals: str) -> str:
    return "".join(part[1:-1].replace('\\"', '"') for part in re.findall(LITERAL, literals))


def test_every_string_a_script_translates_is_extracted(extracted):
    # Including those inside a template literal (`${t("last seen {when}", ...)}`), which the
    # extraction once skipped, leaving them in English on Chinese pages.
    called = {(path.name, _text(match.group(1)))
              for path in (CHECKOUT / "static" / "js").glob("*.js")
              for match in SCRIPT_CALL.finditer(path.read_text(encoding="utf-8"))}
    assert len(called) > 300  # the pattern finds them
    ids = {message.id for message in extracted}
    assert sorted(call for call in called if call[1] not in ids) == []


def test_the_script_catalogue_holds_only_what_the_scripts_show():
    words = catalogues.script_messages("zh")
    extracted_from_scripts = {message.id for message in catalogues.extract()
                              if any(place.startswith("static/js/")
                                     for place, _ in message.locations)}
    assert set(words) == extracted_from_scripts
