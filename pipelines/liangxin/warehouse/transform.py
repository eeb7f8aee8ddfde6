"""Personal data transformed before anything reaches DuckDB: citizen IDs become HMAC person keys + birth year +
sex, names are masked to surname + ``*``, phones to ``138****8000``; rule-hit values, messages and free text are
scrubbed of the ID numbers, names and phones they quote."""

from __future__ import annotations

from dataclasses import dataclass, field


from liangxin import forms, neutral, privacy
from liangxin.checks import id_valid, uscc_valid
from liangxin.validate.result import ValidationResult

# --------------------------------------------------------------------------------------------------
# Personal-data transformation
# --------------------------------------------------------------------------------------------------
_ID_RE = neutral.ID_RE  # one definition of an ID-shaped string (liangxin.neutral)
_PII_ID_LABELS = {forms.normalise_header(f.label) for fm in forms.FORMS for f in fm.fields if f.pii == forms.PII_ID}
_PII_NAME_LABELS = {forms.normalise_header(f.label) for fm in forms.FORMS for f in fm.fields if f.pii == forms.PII_NAME}
_PII_PHONE_LABELS = {
    forms.normalise_header(f.label) for fm in forms.FORMS for f in fm.fields if f.pii == forms.PII_PHONE
}
_USCC_LABELS = {forms.normalise_header(f.label) for fm in forms.FORMS for f in fm.fields if f.name == "uscc"}


def is_free_text(f: forms.Field) -> bool:
    """A field whose value is prose a submitter types (更正说明, 差额说明, names of units, organizations,
    trainings …): ID-shaped strings in it are scrubbed on ingestion.  Codes and keys are not free text
    (their rules already constrain them) and are stored as received."""
    return (
        f.type == forms.TEXT
        and f.pii is None
        and f.code_list is None
        and f.max_len is None
        and f.name not in ("uscc", "period", "template_version")
        and not f.name.endswith("_code")
    )


def scrub_id_text(s: str | None, secret: bytes) -> str | None:
    """Free text with every ID-shaped string replaced: a valid citizen ID by its person key (joinable with
    the raw tables), any other (a mistyped ID is still somebody's) by ``neutral.ID_PLACEHOLDER``."""
    return neutral.scrub_ids(s, lambda m: mask_id_text(m, secret) if id_valid(m.upper()) else neutral.ID_PLACEHOLDER)


def mask_id_text(value: str, secret: bytes) -> str:
    """How an ID number quoted in a rule hit is stored: its person key (joinable with the raw tables)."""
    return "person_key:" + privacy.person_key(value, secret)


_PLANS: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str, str], ...], tuple[str, ...]]] = {}


def _plan(form: forms.Form) -> tuple[tuple[str, ...], tuple[tuple[str, str, str], ...], tuple[str, ...]]:
    """(plain field names, (name, pii kind, stem) of personal fields, free-text field names) of a form,
    computed once."""
    plan = _PLANS.get(form.key)
    if plan is None:
        plain = tuple(f.name for f in form.fields if f.pii is None)
        pii = tuple(
            (f.name, f.pii, f.name[: -len("_id")] if f.pii == forms.PII_ID else f.name)
            for f in form.fields
            if f.pii is not None
        )
        free = tuple(f.name for f in form.fields if is_free_text(f))
        plan = _PLANS[form.key] = (plain, pii, free)
    return plan


def transform_row(form: forms.Form, values: dict[str, object], secret: bytes) -> dict[str, object]:
    """Typed values of one row -> raw-table values (personal data transformed, no raw ID left)."""
    plain, pii, free = _plan(form)
    get = values.get
    out: dict[str, object] = {name: get(name) for name in plain}
    for name in free:
        v = out.get(name)
        if isinstance(v, str) and len(v) >= 18:
            out[name] = scrub_id_text(v, secret)
    for name, kind, stem in pii:
        v = get(name)
        if kind == forms.PII_ID:
            if v is None or str(v).strip() == "":
                out[f"{stem}_key"] = out[f"{stem}_birth_year"] = out[f"{stem}_sex"] = None
            else:
                out[f"{stem}_key"] = privacy.person_key(str(v), secret)
                out[f"{stem}_birth_year"] = privacy.birth_year(str(v))
                out[f"{stem}_sex"] = privacy.sex(str(v))
        elif kind == forms.PII_NAME:
            out[name] = privacy.mask_name(v if v is None else str(v))
        elif kind == forms.PII_PHONE:
            out[name] = privacy.mask_phone(v if v is None else str(v))
        else:  # pragma: no cover - every personal-data kind is handled above
            raise ValueError(f"unknown personal-data kind {kind!r} of {form.key}.{name}")
    return out


@dataclass
class _Scrubber:
    """Replaces personal data quoted in rule hits (values and messages) by its stored form."""

    secret: bytes
    replacements: dict[str, str] = field(default_factory=dict)

    def add(self, raw: object, masked: str | None) -> None:
        if raw is None:
            return
        s = str(raw).strip()
        if len(s) >= 2 and masked is not None and s != masked:
            self.replacements[s] = masked

    def text(self, s: str | None) -> str | None:
        if s is None:
            return None
        for raw in sorted(self.replacements, key=len, reverse=True):
            if raw in s:
                s = s.replace(raw, self.replacements[raw])
        # any remaining ID-shaped string: a valid ID keyed as well, any other hidden
        return scrub_id_text(s, self.secret)

    def hit_value(self, column: str | None, value: str | None) -> str | None:
        if value is None:
            return None
        label = forms.normalise_header(column or "")
        if label in _PII_ID_LABELS:
            return mask_id_text(str(value), self.secret) if str(value).strip() else value
        if label in _PII_NAME_LABELS:
            return privacy.mask_name(value)
        if label in _PII_PHONE_LABELS:
            return privacy.mask_phone(value)
        if label in _USCC_LABELS and uscc_valid(str(value).strip()) and not id_valid(str(value).strip().upper()):
            return value  # an all-digit credit code is a unit's public code, not an ID
        return self.text(str(value))


def _scrubber_for(result: ValidationResult, secret: bytes) -> _Scrubber:
    sc = _Scrubber(secret)
    all_rows: list[tuple[forms.Form, dict]] = []
    if result.cover:
        all_rows.append((forms.COVER, result.cover))
    for key, rows in (result.rows or {}).items():
        form = forms.FORMS_BY_KEY.get(key)
        if form is not None:
            all_rows += [(form, r.values) for r in rows]
    for form, values in all_rows:
        for f in form.fields:
            if f.pii is None:
                continue
            v = values.get(f.name)
            if v is None:
                continue
            if f.pii == forms.PII_ID:
                sc.add(v, mask_id_text(str(v), secret))
            elif f.pii == forms.PII_NAME and len(str(v).strip()) >= 2:
                sc.add(v, privacy.mask_name(str(v)))
            elif f.pii == forms.PII_PHONE:
                sc.add(v, privacy.mask_phone(str(v)))
    for h in result.hits:  # values of ID / name / phone cells that did not parse
        label = forms.normalise_header(h.column or "")
        if h.value and label in _PII_ID_LABELS:
            sc.add(h.value, mask_id_text(h.value, secret))
        elif h.value and label in _PII_NAME_LABELS and len(h.value.strip()) >= 2:
            sc.add(h.value, privacy.mask_name(h.value))
        elif h.value and label in _PII_PHONE_LABELS:
            sc.add(h.value, privacy.mask_phone(h.value))
    return sc
