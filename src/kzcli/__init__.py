"""kz: cited fact lookup about the January 2022 unrest in Kazakhstan."""

__version__ = "0.1.0"
