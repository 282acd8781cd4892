"""`gateway catalogue export|import|status`: the texts of the leaders' languages, translated and reviewed by people
who speak them (an unreviewed text is never sent: the French one is)."""

from __future__ import annotations

from pathlib import Path

import click

from flows import catalogue
from gateway.catalogues import files, review
from gateway.cli import audit_cli, cli_settings, echo_error, open_database
from gateway.cli.output import FORMAT_OPTION, emit, emit_json, fail_with_errors
from gateway.core.privacy import mask_phone_numbers
from gateway.core.runtime import catalogue_folder

STATUS_COLUMNS = ("language", "keys", "translated", "reviewed", "draft", "stale", "missing", "coverage")
UNREVIEWED_COLUMNS = ("key", "state", "source")


def _settings():
    """The settings, with the instance's imported catalogues in view."""
    settings = cli_settings()
    catalogue.use_folder(catalogue_folder(settings))
    return settings


@click.group("catalogue")
def catalogue_group() -> None:
    """Texts in the leaders' languages: export for translators, import what a speaker reviewed, coverage."""


@catalogue_group.command("export")
@click.option("--language", "language", required=True, help="Language code: bm, ff, en…")
@click.option("--format", "fmt", type=click.Choice(["csv", "po"]), default="csv", show_default=True)
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), help="Write to this file (default: stdout).")
def export_command(language: str, fmt: str, output: str | None) -> None:
    """Every French text with its translation in LANGUAGE, its length limit and whether a speaker reviewed it."""
    _settings()
    language = language.strip().lower()
    if language == catalogue.DEFAULT_LANGUAGE:
        raise click.ClickException("French is the source: export a language to translate it into (bm, ff, en…)")
    why = review.importable(language)
    if why and language not in catalogue.REFERENCE_LANGUAGES:
        raise click.ClickException(why)
    rows = files.export_rows(language)
    content = files.to_po(language, rows) if fmt == "po" else files.to_csv(rows)
    if output is None:
        click.echo(content, nl=False)
        return
    try:
        Path(output).write_text(content, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"{output}: cannot write ({exc.strerror})") from None
    done = sum(1 for r in rows if r.reviewed)
    click.echo(f"wrote {len(rows)} texts of {language} to {output} ({done} reviewed)", err=True)


@catalogue_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--language", "language", help="Language of the file (default: a PO file's header, or its name).")
@click.option("--allow-ucs2", is_flag=True, help="Accept texts that cannot be sent in GSM-7 (70 characters an SMS).")
def import_command(file: str, language: str | None, allow_ucs2: bool) -> None:
    """Import FILE (CSV or PO, as exported): checked against the French source; nothing is written unless every
    text is valid. Texts marked reviewed are then sent to the contacts who read that language."""
    settings = _settings()
    text = _read(file)
    try:
        language = files.language_of(file, text, (language or "").strip().lower() or None)
        rows = files.read_rows(file, text)
    except files.CatalogueFileError as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    why = review.importable(language)
    if why:
        raise click.ClickException(f"{file}: {why}")
    if not rows:
        raise click.ClickException(f"{file}: no texts in the file; nothing was written")
    checked = review.check_rows(rows, allow_ucs2=allow_ucs2)
    if checked.errors:
        fail_with_errors(file, checked.errors)
    for warning in checked.warnings:
        echo_error(f"{file}: {warning}")
    database = open_database(settings)
    review.write(catalogue_folder(settings), language, checked.entries)
    reviewed = sum(1 for key in checked.entries if catalogue.is_reviewed(language, key))
    summary = f"{language}: {len(checked.entries)} texts, {reviewed} reviewed"
    audit_cli(
        database, "catalogue_import", f"catalogue {language}", f"{mask_phone_numbers(Path(file).name)}: {summary}"
    )
    click.echo(f"imported {summary}")


@catalogue_group.command("status")
@click.option("--language", "language", help="List this language's texts that are not sent in it, and why.")
@FORMAT_OPTION
def status_command(language: str | None, fmt: str) -> None:
    """Coverage per language (reviewed texts are sent; the others fall back to French)."""
    _settings()
    if language is None:
        rows = review.coverage()
        if fmt == "json":
            emit_json({"languages": rows})
        else:
            emit(rows, STATUS_COLUMNS, fmt)
        return
    language = language.strip().lower()
    if language not in catalogue.languages():
        raise click.ClickException(f"no catalogue for {language!r} (known: {', '.join(catalogue.languages())})")
    rows = review.unreviewed(language)
    if fmt == "json":
        emit_json({"language": language, "unreviewed": rows})
    else:
        emit(rows, UNREVIEWED_COLUMNS, fmt, empty=f"every text of {language} is reviewed")


def _read(file: str) -> str:
    path = Path(file)
    if not path.is_file():
        raise click.ClickException(f"{file}: no such file")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file}: not UTF-8 text (save it as UTF-8)") from None
