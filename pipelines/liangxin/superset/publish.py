"""Publish the dashboards to a running Superset: import the bundle, then converge roles and row-level security.

Roles: ``社区_<unit_code>`` for every community of the register (sees only its own rows) and ``全区`` (sees all).
Each role gets Gamma's permissions plus ``datasource_access`` on the bundle's datasets.  Row-level security is
not part of bundles: one ``Regular`` rule per community role and community column, named
``社区_<unit_code>:<column>``, restricts every dataset with that column; datasets without a community column
get ``1 = 0`` for community roles.  Everything is looked up by name first, so re-running converges.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import duckdb

from liangxin import contract as lx
from liangxin import paths
from liangxin.settings import Settings as AppSettings
from liangxin.settings import allow_insecure_loopback_transport
from liangxin.superset.bundle import Bundle, build_bundle

DISTRICT_ROLE = "全区"
COMMUNITY_ROLE_PREFIX = "社区_"


def community_role(unit_code: str) -> str:
    return f"{COMMUNITY_ROLE_PREFIX}{unit_code}"


def _rison_list(page: int, page_size: int = 100, extra: str = "") -> str:
    return f"(page:{page},page_size:{page_size}{extra})"


class Api:
    """A thin layer over superset-client's authenticated session (JWT + CSRF)."""

    def __init__(self, url: str, user: str, password: str):
        host = urlparse(url).hostname or ""
        if host in ("127.0.0.1", "localhost", "::1"):
            allow_insecure_loopback_transport()  # plain http, loopback only (settings.py: oauthlib's switch)
        from supersetapiclient.client import SupersetClient

        self.client = SupersetClient(host=url, username=user, password=password)
        self.base = url.rstrip("/") + "/api/v1"

    def request(self, method: str, path: str, ok=(200, 201), **kw) -> Any:
        r = self.client.session.request(method, self.base + path, **kw)
        if r.status_code not in ok:
            raise RuntimeError(f"Superset {method} {path} → {r.status_code}: {r.text[:800]}")
        return r.json() if r.content else None

    def get(self, path: str, **kw) -> Any:
        return self.request("GET", path, **kw)

    def list_all(self, path: str, extra: str = "") -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        page = 0
        while True:
            res = self.get(f"{path}?q={_rison_list(page, 100, extra)}")
            batch = res.get("result", [])
            out.extend(batch)
            if len(batch) < 100:
                return out
            page += 1

    def import_bundle(self, data: bytes) -> None:
        files = {"bundle": ("liangxin_bundle.zip", data, "application/zip")}
        r = self.client.session.post(self.client.assets.import_url, files=files, data={"passwords": "{}"})
        if r.status_code != 200 or r.json().get("message") != "OK":
            raise RuntimeError(f"导入失败 / assets import failed → {r.status_code}: {r.text[:2000]}")


def _communities(bundle: Bundle) -> list[tuple[str, str, str]]:
    """(unit_code, unit_name, district_code) from the snapshot's register, else the seed."""
    snap = bundle.snapshot
    if snap.has(lx.REF_COMMUNITIES):
        con = duckdb.connect(str(snap.path), read_only=True, config={"enable_external_access": False})
        try:
            return con.execute(
                f"select unit_code, unit_name, district_code from {lx.quoted(lx.REF_COMMUNITIES)} order by unit_code"
            ).fetchall()
        finally:
            con.close()
    import csv

    with open(paths.SEEDS_DIR / "communities.csv", encoding="utf-8") as fh:
        return [(r["unit_code"], r["unit_name"], r["district_code"]) for r in csv.DictReader(fh)]


def _ensure_role(api: Api, name: str, roles: dict[str, int]) -> int:
    if name not in roles:
        res = api.request("POST", "/security/roles/", json={"name": name})
        roles[name] = res["id"]
    return roles[name]


def _role_index(api: Api) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    page = 0
    while True:
        res = api.get(f"/security/roles/search/?q=(page:{page},page_size:100)")
        for r in res["result"]:
            out[r["name"]] = r
        if len(res["result"]) < 100:
            return out
        page += 1


def dataset_ids(api: Api, bundle: Bundle) -> dict[str, int]:
    """Bundle dataset slug -> Superset id (matched by UUID)."""
    by_uuid = {}
    for ds in api.list_all("/dataset/", ",columns:!(id,uuid,table_name)"):
        by_uuid[str(ds.get("uuid"))] = ds["id"]
    missing = [d.table_name for d in bundle.datasets.values() if d.uuid not in by_uuid]
    if missing:
        raise RuntimeError(f"导入后找不到数据集 / datasets missing after import: {missing}")
    return {slug: by_uuid[d.uuid] for slug, d in bundle.datasets.items()}


def _converge_security(api: Api, bundle: Bundle, ids: dict[str, int], log=print) -> dict[str, Any]:
    communities = _communities(bundle)
    role_index = _role_index(api)
    roles = {n: r["id"] for n, r in role_index.items()}
    gamma = set(role_index.get("Gamma", {}).get("permission_ids", []))
    # datasource_access permission of each bundle dataset
    wanted_views = {i for i in ids.values()}
    access: set[int] = set()
    for pvm in api.list_all("/security/permissions-resources/"):
        perm = (pvm.get("permission") or {}).get("name")
        view = (pvm.get("view_menu") or {}).get("name") or ""
        if perm == "datasource_access" and view.endswith(")") and "(id:" in view:
            try:
                vid = int(view.rsplit("(id:", 1)[1].rstrip(")"))
            except ValueError:
                continue
            if vid in wanted_views:
                access.add(pvm["id"])
    if len(access) < len(wanted_views):
        log(f"注意 / note: {len(access)} datasource_access permissions for {len(wanted_views)} datasets")
    perm_ids = sorted(gamma | access)

    role_names = [DISTRICT_ROLE] + [community_role(c[0]) for c in communities]
    for name in role_names:
        rid = _ensure_role(api, name, roles)
        current = set(role_index.get(name, {}).get("permission_ids", []))
        if current != set(perm_ids):
            api.request("POST", f"/security/roles/{rid}/permissions", json={"permission_view_menu_ids": perm_ids})

    # row-level security: one rule per community and community column
    by_column: dict[str, list[int]] = {}
    for slug, ds in bundle.datasets.items():
        if ds.rls_column == "":
            continue  # reference data without a community dimension
        by_column.setdefault(ds.rls_column or "", []).append(ids[slug])
    existing = {r["name"]: r for r in api.list_all("/rowlevelsecurity/")}
    n_rules = 0
    for code, name, _district in communities:
        role = community_role(code)
        for column, tables in sorted(by_column.items()):
            rule_name = f"{role}:{column or '无社区列'}"
            clause = f"{column} = '{code}'" if column else "1 = 0"
            body = {
                "name": rule_name,
                "filter_type": "Regular",
                "tables": sorted(tables),
                "roles": [roles[role]],
                "clause": clause,
                "group_key": "",
                "description": f"{name}：只能查看本社区的数据",
            }
            if rule_name in existing:
                api.request("PUT", f"/rowlevelsecurity/{existing[rule_name]['id']}", json=body)
            else:
                api.request("POST", "/rowlevelsecurity/", json=body)
            n_rules += 1
    return {"roles": role_names, "rls_rules": n_rules, "role_ids": {n: roles[n] for n in role_names}}


def publish(
    serve_db: Path | str | None = None,
    url: str | None = None,
    user: str | None = None,
    password: str | None = None,
    log=print,
    *,
    app: AppSettings,
) -> dict[str, Any]:
    """Build the bundle from ``serve_db`` (default: ``app``'s snapshot), import it into Superset at ``url``
    (default ``LIANGXIN_SUPERSET_URL``, else the local one) and converge roles and RLS."""
    from liangxin.superset import server

    s = server.settings(app)
    serve = Path(serve_db or app.serve_duckdb).resolve()
    url = url or app.superset_url or s.url
    t0 = time.monotonic()
    bundle = build_bundle(serve)
    api = Api(url, user or s.admin, password or s.password)
    api.import_bundle(bundle.to_zip())
    ids = dataset_ids(api, bundle)
    security = _converge_security(api, bundle, ids, log=log)
    for note in bundle.omitted:
        log(f"未发布 / omitted: {note}")
    result = {
        "url": url,
        "dashboards": {k: v["title"] for k, v in bundle.dashboards.items()},
        "charts": len(bundle.charts),
        "datasets": {k: ids[k] for k in bundle.datasets},
        "omitted": bundle.omitted,
        "seconds": time.monotonic() - t0,
        **security,
    }
    log(
        f"已发布 / published {len(bundle.dashboards)} dashboards, {len(bundle.charts)} charts, "
        f"{len(ids)} datasets, {len(security['roles'])} roles, {security['rls_rules']} RLS rules "
        f"to {url} in {result['seconds']:.1f} s"
    )
    return result


def publish_if_configured(app: AppSettings, serve_db: Path | str | None = None, log=print) -> dict[str, Any] | None:
    """For Dagster after each build: publish when ``LIANGXIN_SUPERSET_URL`` (``app.superset_url``) is set."""
    url = app.superset_url
    if not url:
        return None
    return publish(serve_db, url=url, log=log, app=app)
