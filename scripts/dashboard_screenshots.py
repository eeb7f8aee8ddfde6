#!/usr/bin/env python3
"""Screenshots of the static dashboard at phone (375 px) and desktop (1440 px) width, for docs/.

    .venv/bin/python scripts/dashboard_screenshots.py [--db data/serve.duckdb] [--out docs] [--period 2021Q4]

Renders the page from the serving snapshot into a temporary folder, opens it offline in Debian's headless
Chromium (DevTools protocol over a pipe, liangxin.headless), checks that nothing is wider than the screen and
writes ``<out>/dashboard-375.png`` and ``<out>/dashboard-1440.png``.  The test suite never writes these files
(its screenshots go to pytest's tmp folders); run this script by hand after changing the page.
"""

from __future__ import annotations

import argparse
import base64
import sys
import tempfile
from pathlib import Path

from liangxin import paths
from liangxin.dashboard import render_dashboard
from liangxin.headless import Browser
from liangxin.settings import Settings

WIDTHS = (375, 1440)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="看板截图（375 px 手机、1440 px 桌面） / dashboard screenshots")
    ap.add_argument(
        "--db", type=Path, default=None, help="服务快照（默认 $LIANGXIN_SERVE_DUCKDB 或 data/serve.duckdb）"
    )
    ap.add_argument("--out", type=Path, default=paths.PROJECT_ROOT / "docs", help="输出目录（默认 docs/）")
    ap.add_argument("--fragment", default="", help="页面地址 # 之后的部分，如 period=2021Q4&street=330199001")
    ap.add_argument("--max-height", type=int, default=6000, help="截图最大高度（像素）")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lx-shots-") as tmp:
        page = render_dashboard(args.db or Settings.from_env().serve_duckdb, Path(tmp))  # the script is an edge
        url = page.as_uri() + (f"#{args.fragment}" if args.fragment else "")
        with Browser() as browser:
            for width in WIDTHS:
                browser.open(url, width)
                overflow = browser.evaluate("document.documentElement.scrollWidth")
                if overflow > width:
                    print(f"宽度 {width}px：页面宽 {overflow}px，出现横向滚动", file=sys.stderr)
                    return 1
                height = browser.evaluate("document.documentElement.scrollHeight")
                target = args.out / f"dashboard-{width}.png"
                data = browser.call(
                    "Page.captureScreenshot",
                    session=True,
                    format="png",
                    captureBeyondViewport=True,
                    clip={"x": 0, "y": 0, "width": width, "height": min(height, args.max_height), "scale": 1},
                )["data"]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(base64.b64decode(data))
                print(f"{target}（{width}×{min(height, args.max_height)}，{target.stat().st_size / 1e6:.1f} MB）")
            if browser.console:
                print("页面脚本报错：" + "；".join(browser.console), file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
