"""The Jinja2 environment of the HTML the package writes (issue 16 #6, decisions D201).

Templates are package data in ``liangxin/templates/*.html.j2``.  Autoescape is on for every template, so a value
reaches the page escaped unless a template says otherwise (``|safe``, used only for our own CSS, JavaScript,
Plotly's code and the already escaped JSON of the dashboard).  Text that comes from a submitted file or from the
warehouse goes through the ``text`` filter: ``liangxin.neutral.html_text`` (control characters replaced, overlong
text cut, HTML-escaped), the same function the pages used before they were templates.  ``StrictUndefined``: a
name missing from the context is an error, not an empty string.
"""

from __future__ import annotations

import functools

import jinja2
from markupsafe import Markup

from liangxin.neutral import html_text


def _text(value: object) -> Markup:
    return Markup(html_text(value))


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("liangxin", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["text"] = _text
    return env


def render(name: str, **context: object) -> str:
    """The template ``liangxin/templates/<name>`` rendered with ``context``."""
    return environment().get_template(name).render(**context)
