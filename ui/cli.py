"""The ``keel`` command line: a Typer app that registers every module in ``ui.commands``.

Each module in :mod:`ui.commands` defines ``register(app)``; adding a command group is
adding a module, with no edit here.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil

import typer

import ui.commands


def build_app() -> typer.Typer:
    """Build the CLI with every command module registered."""
    app = typer.Typer(
        name="keel",
        help="Keel: the AI agent for B2B sales. Every reporting command takes --json.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    for info in sorted(pkgutil.iter_modules(ui.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"ui.commands.{info.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(app)
    return app


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    build_app()()
