"""Synthetic district generator: the world model, the return writers and the defect injector.

- :func:`build_world` builds a consistent world quarter by quarter and derives every return from it.
- :func:`write_world` writes one workbook (xlsx) or CSV zip per community per quarter.
- :func:`apply_defects` injects named defects into written files and records them in ``defects.json``.
"""

from .world import World, build_world, synthetic_register, world_stats  # noqa: F401


def __getattr__(name):  # writers and defects are imported lazily (xlsxwriter is only needed to write)
    if name in ("write_world", "write_return", "return_sheets", "write_xlsx", "write_csvzip"):
        from . import writer

        return getattr(writer, name)
    if name in ("apply_defects", "parse_defect_spec", "DEFECTS"):
        from . import defects

        return getattr(defects, name)
    raise AttributeError(name)


__all__ = ["World", "build_world", "synthetic_register", "world_stats", "write_world", "apply_defects"]
