"""``python -m liangxin.cli``: the same command line as the ``liangxin`` console script."""

from liangxin.cli import app

app()
