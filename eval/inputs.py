"""Read predictions, references and sources, and line them up by id.

Supported inputs: JSONL (or a JSON list), CSV/TSV (id column + text column), line-aligned text files, a
``datasets`` dataset (local JSON/CSV through ``datasets.load_dataset`` or a hub id), and a ``beknopt run``
output folder (``results.jsonl`` or one ``*.json`` record per article, as written by ``Result.to_dict()``).

Every mismatch is an :class:`EvalInputError` that names the files and a few of the offending ids: a metric
over silently misaligned or dropped documents is worse than no metric. Empty predictions are kept (they score
0) and counted by the harness, never dropped here.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beknopt.document.jsonio import JSONDepthError, load_json

FORMATS = ("auto", "jsonl", "csv", "txt", "run-dir", "datasets")
TASKS = ("summary", "translation")

# Text fields tried in order; the first one present in the first record is used for all records.
PRED_FIELDS: dict[str, tuple[str, ...]] = {
    "summary": ("summary", "prediction"),
    "translation": ("translation", "prediction"),
}
REF_FIELDS: dict[str, tuple[str, ...]] = {
    "summary": ("reference", "summary"),
    "translation": ("reference", "translation"),
}
# With both tasks at once the generic names would be ambiguous, so only task-named fields are tried.
BOTH_PRED_FIELDS: dict[str, tuple[str, ...]] = {"summary": ("summary",), "translation": ("translation",)}
BOTH_REF_FIELDS: dict[str, tuple[str, ...]] = {
    "summary": ("reference_summary", "summary"),
    "translation": ("reference_translation", "translation"),
}
SOURCE_FIELDS: tuple[str, ...] = ("source", "text", "article", "clean_text")
MAX_NAMED = 5


class EvalInputError(ValueError):
    """Predictions, references or sources cannot be evaluated as given (mismatch, missing field, bad file)."""


@dataclass
class Records:
    """Rows read from one input; ``ids`` is ``None`` when the input is line-aligned (no id column)."""

    name: str
    rows: list[dict[str, Any]]
    ids: list[str] | None
    unit: str = "records"  # "lines" for text files, for error messages

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class EvalInputs:
    """Everything one system needs, aligned to the references' order."""

    name: str
    ids: list[str]
    predictions: dict[str, list[str]]
    references: dict[str, list[str]]
    sources: list[str] | None = None
    original_sources: list[str] | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    # join="intersection": the predictions (and sources) stay in their own order under these ids, for the
    # harness to join; None when they are already aligned to the references
    prediction_ids: list[str] | None = None


def _few(items: Sequence[str]) -> str:
    shown = ", ".join(repr(i) for i in items[:MAX_NAMED])
    return shown + (f" and {len(items) - MAX_NAMED} more" if len(items) > MAX_NAMED else "")


def detect_format(path: str | Path) -> str:
    """Guess the format: folder -> run-dir, .jsonl/.json -> jsonl, .csv/.tsv -> csv, anything else -> txt."""
    p = Path(path)
    if p.is_dir():
        return "run-dir"
    suffixes = [s.lower() for s in p.suffixes]
    if suffixes and suffixes[-1] in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    if suffixes and suffixes[-1] in (".csv", ".tsv"):
        return "csv"
    return "txt"


def _ids_of(name: str, rows: list[dict[str, Any]], id_field: str) -> list[str] | None:
    have = [id_field in r and r[id_field] is not None for r in rows]
    if not any(have):
        return None
    if not all(have):
        missing = [str(i + 1) for i, ok in enumerate(have) if not ok]
        raise EvalInputError(
            f"{name}: {len(missing)} record(s) have no {id_field!r} field (records {_few(missing)})"
        )
    return [str(r[id_field]) for r in rows]


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise EvalInputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise EvalInputError(f"{path}: cannot read ({exc.strerror or exc})") from exc


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    text = _read_text(path)
    if text.lstrip().startswith("["):
        try:
            data = load_json(text)
        except json.JSONDecodeError as exc:
            raise EvalInputError(f"{path}: invalid JSON ({exc.msg}, line {exc.lineno})") from exc
        except JSONDepthError as exc:
            raise EvalInputError(f"{path}: {exc}") from exc
        rows = data
    else:
        rows = []
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append(load_json(line))
            except json.JSONDecodeError as exc:
                raise EvalInputError(f"{path}: line {lineno} is not valid JSON ({exc.msg})") from exc
            except JSONDepthError as exc:
                raise EvalInputError(f"{path}: line {lineno}: {exc}") from exc
    bad = [i + 1 for i, r in enumerate(rows) if not isinstance(r, dict)]
    if bad:
        raise EvalInputError(f"{path}: record(s) {bad[:MAX_NAMED]} are not JSON objects")
    return rows


def _read_csv(path: Path) -> list[dict[str, Any]]:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    text = _read_text(path)
    reader = csv.DictReader(text.splitlines(), delimiter=delimiter)
    if not reader.fieldnames:
        raise EvalInputError(f"{path}: no header row (a CSV needs an id column and a text column)")
    return [dict(row) for row in reader]


def _read_run_dir(path: Path) -> list[dict[str, Any]]:
    """``results.jsonl`` if present, else every ``*.json`` file that holds one article record."""
    results = path / "results.jsonl"
    if results.is_file():
        return _read_jsonl(results)
    rows = []
    for file in sorted(path.glob("*.json")):
        try:
            data = load_json(_read_text(file))
        except json.JSONDecodeError as exc:
            raise EvalInputError(f"{file}: invalid JSON ({exc.msg}, line {exc.lineno})") from exc
        except JSONDepthError as exc:
            raise EvalInputError(f"{file}: {exc}") from exc
        # Manifests or settings files written next to the records are not articles.
        if isinstance(data, dict) and "id" in data and ("summary" in data or "translation" in data):
            rows.append(data)
    if not rows:
        raise EvalInputError(
            f"{path}: no results.jsonl and no per-article *.json records (is it a beknopt run?)"
        )
    return rows


def _read_datasets(name: str, split: str | None) -> list[dict[str, Any]]:
    """A local JSON/CSV file through ``datasets.load_dataset``, otherwise a hub dataset id."""
    try:
        import datasets
    except ImportError as exc:
        raise EvalInputError("--format datasets needs the 'datasets' package (pip install datasets)") from exc
    path = Path(name)
    try:
        if path.is_file():
            builder = "csv" if detect_format(path) == "csv" else "json"
            ds = datasets.load_dataset(builder, data_files=str(path), split=split or "train")
        else:
            ds = datasets.load_dataset(name, split=split or "test")
    except (OSError, ValueError, ImportError) as exc:
        raise EvalInputError(f"{name}: cannot load with datasets.load_dataset ({exc})") from exc
    return [dict(row) for row in ds]


def read_records(
    path: str | Path, fmt: str = "auto", *, id_field: str = "id", split: str | None = None
) -> Records:
    """Read one input file/folder/dataset into rows; ids come from ``id_field`` when every row has one."""
    if fmt not in FORMATS:
        raise EvalInputError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    name = str(path)
    if fmt == "datasets":
        rows = _read_datasets(name, split)
        return Records(name, rows, _ids_of(name, rows, id_field))
    p = Path(path)
    if not p.exists():
        raise EvalInputError(f"{name}: no such file or folder")
    if fmt == "auto":
        fmt = detect_format(p)
    if fmt == "run-dir":
        if not p.is_dir():
            raise EvalInputError(f"{name}: --format run-dir needs a folder written by 'beknopt run'")
        rows = _read_run_dir(p)
    elif p.is_dir():
        raise EvalInputError(f"{name} is a folder; use --format run-dir for 'beknopt run' output")
    elif fmt == "jsonl":
        rows = _read_jsonl(p)
    elif fmt == "csv":
        rows = _read_csv(p)
    else:
        # Like sacrebleu's command line: one segment per line, trailing whitespace stripped.
        lines = [line.rstrip() for line in _read_text(p).split("\n")]
        if lines and lines[-1] == "":
            lines.pop()  # the final newline ends the last line; it does not start another
        return Records(name, [{"text": line} for line in lines], None, unit="lines")
    return Records(name, rows, _ids_of(name, rows, id_field))


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(_as_text(v) for v in value)
    return str(value)


def pick_field(records: Records, candidates: Sequence[str], role: str) -> str:
    """The first candidate field present in the first record (``text`` for line-aligned files)."""
    if records.unit == "lines":
        return "text"
    if not records.rows:
        raise EvalInputError(f"{records.name}: no records")
    first = records.rows[0]
    for name in candidates:
        if name in first:
            return name
    raise EvalInputError(
        f"{records.name}: no {role} field; tried {', '.join(map(repr, candidates))}, "
        f"the first record has {', '.join(map(repr, first)) or 'no fields'}"
    )


def texts(records: Records, field_name: str) -> list[str]:
    """The ``field_name`` text of every record (``None`` becomes ``""``); a record without it is an error."""
    missing = [
        records.ids[i] if records.ids else str(i + 1)
        for i, row in enumerate(records.rows)
        if field_name not in row
    ]
    if missing:
        raise EvalInputError(
            f"{records.name}: {len(missing)} record(s) lack field {field_name!r} ({_few(missing)})"
        )
    return [_as_text(row[field_name]) for row in records.rows]


def check_unique(records: Records) -> None:
    if records.ids is None:
        return
    dups = [i for i, n in Counter(records.ids).items() if n > 1]
    if dups:
        raise EvalInputError(f"{records.name}: {len(dups)} duplicate id(s): {_few(dups)}")


def align(target: Records, reference: Records, role: str = "prediction") -> list[int]:
    """For each reference position, the index of the matching ``target`` row (by id, or by position).

    Inputs with ids on both sides are joined by id and must cover exactly the same ids; when either side is
    line-aligned, both must have the same number of rows.
    """
    check_unique(target)
    check_unique(reference)
    if target.ids is None or reference.ids is None:
        if len(target) != len(reference):
            raise EvalInputError(
                f"{target.name} has {len(target)} {target.unit}, "
                f"{reference.name} has {len(reference)} {reference.unit}"
            )
        return list(range(len(reference)))
    position = {i: n for n, i in enumerate(target.ids)}
    missing = [i for i in reference.ids if i not in position]
    ref_set = set(reference.ids)
    extra = [i for i in target.ids if i not in ref_set]
    problems = []
    if missing:
        problems.append(
            f"{len(missing)} id(s) in {reference.name} have no {role} in {target.name}: {_few(missing)}"
        )
    if extra:
        problems.append(f"{len(extra)} id(s) in {target.name} are not in {reference.name}: {_few(extra)}")
    if problems:
        hint = " (--ids intersection scores only the ids on both sides)" if role == "prediction" else ""
        raise EvalInputError("; ".join(problems) + hint)
    return [position[i] for i in reference.ids]


def _join_by_id(pred: Records, ref: Records) -> list[int]:
    """``join="intersection"``: every prediction row, in its own order; the harness keeps the shared ids."""
    for records in (pred, ref):
        if records.ids is None:
            raise EvalInputError(
                f"{records.name}: no ids, so nothing to intersect by (--ids intersection joins by id; "
                "line-aligned text files have none)"
            )
        check_unique(records)
    return list(range(len(pred)))


def _fields_for(task: str, overrides: dict[str, str], table: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    return (overrides[task],) if task in overrides else table[task]


def load_inputs(
    predictions: str | Path,
    references: str | Path,
    *,
    sources: str | Path | None = None,
    task: str = "summary",
    fmt: str = "auto",
    ref_fmt: str | None = None,
    pred_fields: dict[str, str] | None = None,
    ref_fields: dict[str, str] | None = None,
    source_field: str | None = None,
    id_field: str = "id",
    split: str | None = None,
    name: str | None = None,
    join: str = "strict",
) -> EvalInputs:
    """Load one system's predictions with the references (and optional sources), aligned to the references.

    ``task`` is ``summary``, ``translation`` or ``both``. With ``join="intersection"`` predictions and ids
    that lack a reference are not an error: the predictions keep their own order (``prediction_ids``) and
    ``evaluate``/``compare`` score the shared ids and report the rest. For a ``beknopt run`` folder the English
    ``translation`` of each article is its source for the summary diagnostics and its Dutch ``clean_text`` is
    also searched for numbers and names, unless ``sources`` is given.
    """
    tasks = TASKS if task == "both" else (task,)
    if task != "both" and task not in TASKS:
        raise EvalInputError(f"unknown task {task!r}; choose summary, translation or both")
    pred_fields = pred_fields or {}
    ref_fields = ref_fields or {}
    pred_table, ref_table = (
        (BOTH_PRED_FIELDS, BOTH_REF_FIELDS) if task == "both" else (PRED_FIELDS, REF_FIELDS)
    )

    pred_format = fmt
    if ref_fmt is None:
        ref_fmt = "auto" if fmt == "run-dir" else fmt
    pred = read_records(predictions, pred_format, id_field=id_field, split=split)
    ref = read_records(references, ref_fmt, id_field=id_field, split=split)
    if join not in ("strict", "intersection"):
        raise EvalInputError(f"unknown join {join!r}; choose strict or intersection")
    joined = join == "intersection"
    order = _join_by_id(pred, ref) if joined else align(pred, ref)
    if ref.ids is not None:
        ids = ref.ids
    elif pred.ids is not None:
        ids = [pred.ids[i] for i in order]
    else:
        ids = [str(i + 1) for i in range(len(ref))]

    preds: dict[str, list[str]] = {}
    refs: dict[str, list[str]] = {}
    for t in tasks:
        p_texts = texts(pred, pick_field(pred, _fields_for(t, pred_fields, pred_table), f"{t} prediction"))
        preds[t] = [p_texts[i] for i in order]
        refs[t] = texts(ref, pick_field(ref, _fields_for(t, ref_fields, ref_table), f"{t} reference"))
        empty_refs = [ids[i] for i, r in enumerate(refs[t]) if not r.strip()]
        if empty_refs:
            raise EvalInputError(f"{ref.name}: {len(empty_refs)} empty {t} reference(s): {_few(empty_refs)}")

    src_texts: list[str] | None = None
    original: list[str] | None = None
    if sources is not None:
        src = read_records(sources, "auto", id_field=id_field, split=split)
        candidates = (source_field,) if source_field else SOURCE_FIELDS
        s_all = texts(src, pick_field(src, candidates, "source"))
        if joined:
            src_texts = _sources_for(src, s_all, pred, ref)
        else:
            src_texts = [s_all[i] for i in align(src, ref, role="source")]
    elif pred.rows and pred.unit != "lines" and "clean_text" in pred.rows[0]:
        # A beknopt run record: the summary was made from the English translation of the Dutch clean text.
        rows = [pred.rows[i] for i in order]
        english = [_as_text(r.get("translation")) for r in rows]
        dutch = [_as_text(r.get("clean_text")) for r in rows]
        src_texts = english if any(english) else dutch
        original = dutch if any(english) and any(dutch) else None
    return EvalInputs(
        name or Path(str(predictions)).stem or str(predictions),
        list(ids),
        preds,
        refs,
        src_texts,
        original,
        {
            "predictions": str(predictions),
            "references": str(references),
            "sources": None if sources is None else str(sources),
        },
        list(pred.ids or []) if joined else None,
    )


def _sources_for(src: Records, src_texts: list[str], pred: Records, ref: Records) -> list[str]:
    """Sources in prediction order for ``join="intersection"``: every prediction that has a reference needs a
    source; one that has none is left out of the scores anyway (``""``)."""
    check_unique(src)
    if src.ids is None:
        raise EvalInputError(f"{src.name}: no ids, so its sources cannot be joined by id (--ids intersection)")
    position = {i: n for n, i in enumerate(src.ids)}
    ref_set = set(ref.ids or [])
    pred_ids = pred.ids or []
    missing = [i for i in pred_ids if i in ref_set and i not in position]
    if missing:
        raise EvalInputError(f"{len(missing)} id(s) in {pred.name} have no source in {src.name}: {_few(missing)}")
    return [src_texts[position[i]] if i in position else "" for i in pred_ids]
