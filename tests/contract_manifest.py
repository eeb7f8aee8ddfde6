"""A hand-made dbt manifest for tests of the serving contract on tiny DuckDB files (no dbt run needed).

``write_manifest(path, {"marts.t": [("i", "BIGINT")], ...})`` writes a manifest whose only models are those
public ones (and ``protected`` ones, which the publish must ignore)."""

from __future__ import annotations

import json
from pathlib import Path


def write_manifest(
    path: Path, public: dict[str, list[tuple[str, str]]], protected: dict[str, list[tuple[str, str]]] | None = None
) -> Path:
    nodes = {}
    for access, models in (("public", public), ("protected", protected or {})):
        for name, cols in models.items():
            schema, table = name.split(".", 1)
            nodes[f"model.liangxin.{table}"] = {
                "resource_type": "model",
                "name": table,
                "schema": schema,
                "alias": table,
                "access": access,
                "group": "indicators" if access == "public" else None,
                "description": f"测试表 {name}",
                "config": {"enabled": True, "contract": {"enforced": access == "public"}},
                "columns": {c: {"name": c, "data_type": t, "description": ""} for c, t in cols},
            }
    path = Path(path)
    path.write_text(json.dumps({"nodes": nodes}, ensure_ascii=False), encoding="utf-8")
    return path
