"""The mini-program is typed from a snapshot of the mini-program API (`miniprogram/openapi.json`,
the /mp/v1 part of /openapi.json and the schemas it uses): when the backend changes that API, this
test fails until the snapshot is refreshed (`make miniprogram-api`), and the refreshed types then
fail the mini-program's type check wherever it uses what changed."""

import json
import os
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parents[2] / "miniprogram" / "openapi.json"
PREFIX = "/mp/v1/"


def _refs(node) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


def mini_program_part(spec: dict) -> dict:
    """The /mp/v1 paths and every schema they reach, under the document's own header."""
    paths = {path: item for path, item in spec["paths"].items() if path.startswith(PREFIX)}
    schemas = spec.get("components", {}).get("schemas", {})
    wanted: set[str] = set()
    pending = {ref.rsplit("/", 1)[-1] for ref in _refs(paths)}
    while pending:
        name = pending.pop()
        if name in wanted:
            continue
        wanted.add(name)
        pending |= {ref.rsplit("/", 1)[-1] for ref in _refs(schemas[name])} - wanted
    components = {key: value for key, value in spec.get("components", {}).items() if key != "schemas"}
    components["schemas"] = {name: schemas[name] for name in sorted(wanted)}
    return {"openapi": spec["openapi"], "info": spec["info"], "paths": paths, "components": components}


async def test_the_mini_programs_api_snapshot_is_the_backends_api(client):
    live = mini_program_part((await client.get("/openapi.json")).json())
    if os.environ.get("UPDATE_API_SNAPSHOT") == "1":
        SNAPSHOT.write_text(json.dumps(live, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    stored = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    changed = sorted(set(live["paths"]) ^ set(stored["paths"])) or sorted(
        path for path in live["paths"] if live["paths"][path] != stored["paths"].get(path)
    )
    first = changed[0] if changed else ""
    assert live == stored, (
        "the mini-program API changed (e.g. " + ", ".join(changed[:5]) + "): run `make miniprogram-api`, "
        "then fix what the mini-program's type check finds. "
        f"{first} now: {json.dumps(live['paths'].get(first), ensure_ascii=False, sort_keys=True)[:600]}; "
        f"in the snapshot: {json.dumps(stored['paths'].get(first), ensure_ascii=False, sort_keys=True)[:600]}"
    )
