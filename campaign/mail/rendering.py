"""The digest's HTML and text bodies from Jinja templates: the built-in ones in
``campaign/mail/templates`` or a staff override folder (``[email] templates``).

Overrides run in Jinja's immutable sandbox; both kinds use ``StrictUndefined``, and HTML is
autoescaped. The text environment does not escape HTML but flattens control characters
(line breaks included) in every value it prints, so no value can forge lines of its own. Any
template problem becomes a :class:`~campaign.errors.ConfigError` naming the file and line."""

from __future__ import annotations

import functools
import traceback
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from campaign.errors import ConfigError

HTML_TEMPLATE = "digest.html.j2"
# What a template can raise while rendering (a staff template may divide by zero, too).
_RUNTIME = (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError)
TEXT_TEMPLATE = "digest.txt.j2"


def _plain(value: Any) -> str:
    """A printed value for the text part: control characters become spaces."""
    text = "" if value is None else str(value)
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)


def _environment(loader: jinja2.BaseLoader, html: bool, sandboxed: bool) -> jinja2.Environment:
    kind = ImmutableSandboxedEnvironment if sandboxed else jinja2.Environment
    options: dict[str, Any] = {"finalize": None} if html else {"finalize": _plain}
    return kind(
        loader=loader,
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        **options,
    )


@functools.cache
def _builtin(html: bool) -> jinja2.Environment:
    return _environment(jinja2.PackageLoader("campaign.mail", "templates"), html, False)


@functools.cache
def _override(folder: Path, html: bool) -> jinja2.Environment:
    return _environment(jinja2.FileSystemLoader(str(folder)), html, True)


def _chosen(name: str, html: bool, overrides: Path | None) -> jinja2.Environment:
    if overrides is None:
        return _builtin(html)
    if not overrides.is_dir():
        raise ConfigError(f"{overrides}: email.templates must name a folder of templates")
    if (overrides / name).is_file():
        return _override(overrides.resolve(), html)
    return _builtin(html)


def _line(err: BaseException, filename: str | None) -> int | None:
    """The template line a render-time error happened on (Jinja rewrites the traceback)."""
    if filename is None:
        return None
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == filename]
    return frames[-1].lineno if frames else None


def render(name: str, context: Mapping[str, Any], overrides: Path | None) -> str:
    """Template ``name`` (HTML when it ends ``.html.j2``) rendered with ``context``."""
    env = _chosen(name, name.endswith(".html.j2"), overrides)
    filename: str | None = None
    try:
        template = env.get_template(name)
        filename = template.filename
        return template.render(context)
    except jinja2.TemplateSyntaxError as err:
        where = f"{err.filename or name}:{err.lineno}"
        raise ConfigError(f"{where}: template syntax error: {err.message}") from None
    except _RUNTIME as err:
        line = _line(err, filename)
        where = f"{filename or name}:{line}" if line else (filename or name)
        kind = "not allowed in a template" if isinstance(err, SecurityError) else "template error"
        raise ConfigError(f"{where}: {kind}: {err}") from None
