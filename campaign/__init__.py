"""campaign: case records in, localized appeals out, withdrawn everywhere on resolution."""

__version__ = "0.1.0"
