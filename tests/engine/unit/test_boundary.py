"""The engine is a package of its own: of the product it imports the resource spec and the functions'
configuration names, never the command line; and only `salesdq local ...` imports it."""

from __future__ import annotations

from scripts.import_graph import edges, importers


def test_engine_imports_only_the_resource_spec_of_the_product() -> None:
    found = edges()
    assert found[("salesdq_engine", "salesdq")] == {"salesdq.resources"}
    assert found[("salesdq_engine", "services")] == {"services.runtime.config"}


def test_only_the_local_commands_import_the_engine() -> None:
    assert importers("salesdq_engine") == {"salesdq.cli.local", "salesdq.local.run"}
