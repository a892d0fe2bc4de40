"""Scenarios from Python values: a dict (or any mapping), TOML or JSON text,
or a path. A dict is written as JSON text that keeps every number's exact
literal: ``Decimal`` and ``int`` as written, ``float`` as its shortest
decimal form (``repr``), which the library then reads under the rule of the
command line (money with more than two decimals is an error, so ``0.1 + 0.2``
is refused as money, ``0.3`` is not)."""

from __future__ import annotations

import datetime as _dt
import math
import os
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from .errors import input_error

Scenario = Union[Mapping[str, Any], str, bytes, "os.PathLike[str]"]
Lists = Mapping[str, Any]


_PARQUET = (".parquet", ".pq")
_ARROW = (".arrow", ".arrows", ".ipc", ".feather")


def lists_bytes(lists: Optional[Lists]) -> Optional[Dict[str, bytes]]:
    """The bytes of each list a scenario names (``units_csv = "units.csv"``
    reads ``lists["units.csv"]``): text, bytes, a DataFrame or a pyarrow
    Table. Under a CSV name a DataFrame is written as CSV without its index
    (a float as its shortest form, so money read from it follows the rule of
    :func:`to_json`); under a Parquet name (``.parquet``, ``.pq``) or an
    Arrow one (``.arrow``, ``.arrows``, ``.ipc``, ``.feather``) a DataFrame
    or Table is written in that format, where float columns are refused by
    the reader (write money as ``Decimal`` or text)."""
    if lists is None:
        return None
    if not isinstance(lists, Mapping):
        raise TypeError(f"lists is a dict of name -> CSV text, bytes, DataFrame or Table; got {type(lists).__name__}")
    out: Dict[str, bytes] = {}
    for name, value in lists.items():
        if not isinstance(name, str):
            raise TypeError(f"lists: the name {name!r} is not text")
        columnar = name.lower().endswith(_PARQUET + _ARROW)
        if isinstance(value, bytes):
            out[name] = value
        elif isinstance(value, str) and not columnar:
            out[name] = value.encode("utf-8")
        elif columnar and (_is_frame(value) or _is_table(value)):
            out[name] = _columnar_bytes(name, value)
        elif _is_frame(value):
            out[name] = value.to_csv(index=False).encode("utf-8")
        else:
            expected = "bytes, a DataFrame or a pyarrow Table" if columnar else "CSV text, bytes or a DataFrame"
            raise TypeError(f"lists[{name!r}]: {expected}; got {type(value).__name__}")
    return out


def _is_table(value: Any) -> bool:
    return type(value).__module__.startswith("pyarrow") and type(value).__name__ == "Table"


def _columnar_bytes(name: str, value: Any) -> bytes:
    """A DataFrame or Table as the Parquet or Arrow IPC file its name says."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = value if _is_table(value) else pa.Table.from_pandas(value, preserve_index=False)
    sink = io.BytesIO()
    if name.lower().endswith(_PARQUET):
        pq.write_table(table, sink)
    else:
        with pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
    return sink.getvalue()


def folder(kind: str, value: str) -> Optional[str]:
    """The folder a scenario file's list paths are relative to (None for text)."""
    if kind != "path":
        return None
    return os.path.dirname(value) or "."


def source(scenario: Scenario) -> Tuple[str, str]:
    """``(kind, value)`` for the extension: kind is path, toml, json or dict."""
    if isinstance(scenario, os.PathLike):
        return "path", os.fspath(scenario)
    if isinstance(scenario, Mapping):
        return "dict", to_json(scenario)
    if isinstance(scenario, bytes):
        scenario = scenario.decode("utf-8")
    if isinstance(scenario, str):
        text = scenario[1:] if scenario.startswith("\ufeff") else scenario
        one_line = "\n" not in text
        if one_line and text.strip().endswith((".toml", ".json")):
            return "path", text.strip()
        if text.lstrip().startswith("{"):
            return "json", text
        return "toml", text
    raise TypeError(
        f"a scenario is a dict, TOML or JSON text, or a path; got {type(scenario).__name__}"
    )


def _number(value: Any, path: str) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise input_error(path, f"{value} is not a number", "a finite number")
        return format(value, "f")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise input_error(path, f"{value!r} is not a number", "a finite number")
        return repr(value)
    return str(int(value))


def _key(path: str, key: str) -> str:
    return key if not path else f"{path}.{key}"


def _write(value: Any, path: str, out: List[str]) -> None:
    import json

    if value is None:
        out.append("null")
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, (int, float, Decimal)):
        out.append(_number(value, path))
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, (_dt.date, _dt.datetime)):
        if isinstance(value, _dt.datetime):
            raise input_error(path, f"{value.isoformat()} has a time of day", "a date (datetime.date)")
        out.append(json.dumps(value.isoformat()))
    elif isinstance(value, Mapping):
        out.append("{")
        for i, (k, v) in enumerate(value.items()):
            if not isinstance(k, str):
                raise input_error(path, f"the key {k!r} is not text", "text keys")
            if i:
                out.append(",")
            out.append(json.dumps(k, ensure_ascii=False))
            out.append(":")
            _write(v, _key(path, k), out)
        out.append("}")
    elif _is_frame(value):
        records = value.to_dict(orient="records")
        _write(records, path, out)
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, v in enumerate(value):
            if i:
                out.append(",")
            _write(v, f"{path}[{i}]", out)
        out.append("]")
    elif hasattr(value, "item") and callable(value.item):
        # numpy and pandas scalars: their Python value.
        _write(_scalar(value, path), path, out)
    else:
        raise input_error(
            path,
            f"a value of type {type(value).__name__}",
            "a number (int, Decimal, float), text, a bool, a date, a list or a dict",
        )


def _scalar(value: Any, path: str) -> Any:
    try:
        import pandas as pd

        if value is pd.NaT:
            return None
        if isinstance(value, pd.Timestamp):
            if value != value.normalize():
                raise input_error(path, f"{value} has a time of day", "a date")
            return value.date()
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    return value.item()


def _is_frame(value: Any) -> bool:
    module = type(value).__module__
    return module.startswith("pandas") and hasattr(value, "to_dict") and hasattr(value, "columns")


def to_json(doc: Mapping[str, Any]) -> str:
    """The JSON text of a scenario dict, every number as its exact literal."""
    out: List[str] = []
    _write(doc, "", out)
    return "".join(out)
