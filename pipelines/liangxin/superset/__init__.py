"""Superset for liangxin: stand-up (own virtualenv, gunicorn by PID), dashboards as code, publish with RLS.

``liangxin superset up|down|status|publish``; ``publish_if_configured()`` for Dagster after each build.
"""

from liangxin.superset.publish import publish, publish_if_configured

__all__ = ["publish", "publish_if_configured"]
