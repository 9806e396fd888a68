"""The command line: one module per command over the library."""
from .main import main

__all__ = ["main"]
