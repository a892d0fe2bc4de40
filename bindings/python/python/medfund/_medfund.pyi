"""Type stubs of the extension module ``medfund._medfund`` (Rust, PyO3).

Scenarios are passed as ``(kind, value)``: kind ``"path"`` (a file),
``"toml"``/``"json"`` (text; errors keep line and column) or ``"dict"``
(JSON text made from a dict by ``medfund._input.to_json``).
"""

from typing import Any, Dict, List, Optional, Sequence, Tuple

__version__: str

class Report:
    """A computed report, held in Rust."""

    def json(self, pretty: bool = False) -> bytes:
        """The JSON report, as ``medfund run --format json`` prints it."""
    def tables(self, lang_code: str, money: str) -> List[Tuple[str, Any]]:
        """``(name, pyarrow.Table)`` per table of the text report."""
    def render(self, format: str, lang_code: str) -> str:
        """The text report: ``table``, ``markdown`` or ``csv``."""

def run(kind: str, value: str, explain: bool, lists: Optional[Dict[str, bytes]] = None) -> Report: ...
def check(kind: str, value: str, lists: Optional[Dict[str, bytes]] = None) -> List[str]: ...
def simulate(
    kind: str,
    value: str,
    lists: Optional[Dict[str, bytes]] = None,
    paths: Optional[str] = None,
    paths_money: str = "decimal",
    per_unit: bool = False,
) -> bytes: ...
def projection_shard(
    kind: str,
    value: str,
    plan: Optional[bytes],
    start: int,
    end: int,
    lists: Optional[Dict[str, bytes]] = None,
    per_unit: bool = False,
) -> bytes: ...
def projection_merge(
    kind: str,
    value: str,
    plan: Optional[bytes],
    passes: Sequence[bytes],
    lists: Optional[Dict[str, bytes]] = None,
    per_unit: bool = False,
) -> Tuple[Optional[bytes], Optional[bytes]]: ...
def compare(base: Report, base_name: str, variant: Report, variant_name: str) -> bytes: ...
def sweep_combinations(settings_json: str) -> int: ...
def sweep(
    doc_json: str,
    settings_json: str,
    start: Optional[int] = None,
    end: Optional[int] = None,
    lists: Optional[Dict[str, bytes]] = None,
    base: Optional[str] = None,
) -> bytes: ...
def document(kind: str, value: str) -> str: ...
def policies() -> bytes: ...
def split_claims(claims_table: Any, settings_json: str, money: str) -> Tuple[Any, Any]: ...
def merge_year_summaries(parts: Sequence[Any], money: str) -> Any: ...
def year_summaries(splits: Any, settings_json: str, money: str) -> Any: ...
def person_buckets(claims_table: Any, n: int) -> Any: ...
