"""The error tree. Library code raises these; ``cli.py`` turns them into messages and exit codes."""

from __future__ import annotations


class CampaignError(Exception):
    """Base of every error the engine raises on purpose."""

    exit_code = 1


class UsageError(CampaignError):
    """The command was called wrongly (exit 2)."""

    exit_code = 2


class ConfigError(CampaignError):
    """The configuration file is missing, malformed or inconsistent (exit 3)."""

    exit_code = 3


class MissingDependency(ConfigError):
    """An optional package or system library is needed; the message names how to install it."""

    def __init__(self, what: str, extra: str | None = None, command: str | None = None) -> None:
        hint = command or (f"pip install 'campaign[{extra}]'" if extra else "")
        super().__init__(
            f"{what} is not available" + (f"; install it with: {hint}" if hint else "")
        )
        self.what = what
        self.extra = extra
        self.command = hint


class InputError(CampaignError):
    """A file could not be read at all (exit 1); per-record problems are Problems, not errors."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
        super().__init__(where + message)
        self.file = file
        self.line = line


class PhotoError(CampaignError):
    """A photo was refused: wrong format, too many pixels, truncated or corrupt."""

    def __init__(self, message: str, code: str = "photo-invalid") -> None:
        super().__init__(message)
        self.code = code


class FetchError(CampaignError):
    """A remote resource (a photo URL) was refused by the URL safeguards or could not be fetched."""

    def __init__(self, message: str, code: str = "fetch-failed") -> None:
        super().__init__(message)
        self.code = code


class RenderError(CampaignError):
    """A rendition could not be made (the rest of the build carries on)."""


class AlertError(CampaignError):
    """No alert can be made for a case: unknown, not publishable, or nothing to cancel (exit 1)."""
