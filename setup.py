"""Package build hook: compiles the gettext catalogs (``.po`` → ``.mo``) into the built package,
so wheels ship compiled catalogs while the repository keeps only the ``.po`` sources."""

from __future__ import annotations

import io
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

LOCALES = Path("campaign") / "i18n" / "locales"


class BuildWithCatalogs(build_py):
    def run(self) -> None:
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        target = Path(self.build_lib) / LOCALES
        target.mkdir(parents=True, exist_ok=True)
        for source in sorted(LOCALES.glob("*.po")):
            with source.open("rb") as handle:
                catalog = read_po(handle, locale=source.stem.replace("-", "_"))
            buffer = io.BytesIO()
            write_mo(buffer, catalog, use_fuzzy=False)
            (target / f"{source.stem}.mo").write_bytes(buffer.getvalue())


setup(cmdclass={"build_py": BuildWithCatalogs})
