"""``flask gateway translations``: bring the catalogues up to date with the code."""

from __future__ import annotations

import click

from gateway.core import catalogues


@click.command("translations")
@click.option("--check", is_flag=True, help="Only say what lacks a translation; change nothing "
                                             "(exit 1 when something does).")
def translations(check: bool) -> None:
    """Find every string a person can read (code, pages, scripts) and update
    gateway/translations/*/LC_MESSAGES/messages.po: new strings are added for translators,
    strings no longer used are dropped. Lists the strings still untranslated."""
    if check:
        template = catalogues.extract()
        missing = {language: catalogues.untranslated(template,
                                                     catalogues.read_catalogue(language))
                   for language in catalogues.translated_languages()}
    else:
        missing = catalogues.update()
    for language, texts in missing.items():
        click.echo(f"{language}: {len(texts)} strings to translate")
        for text in texts:
            click.echo(f"  {text}")
    if check and any(missing.values()):
        raise SystemExit(1)
