"""Money and decimal values of the JSON documents, as Decimal yuan or int fen."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

_MONEY = ("decimal", "fen")


def _check_money(money: str) -> None:
    if money not in _MONEY:
        raise ValueError(f"money={money!r}; expected 'decimal' or 'fen'")


def _money(text: Any, money: str) -> Any:
    if text is None:
        return None
    d = Decimal(text)
    return int(d.scaleb(2)) if money == "fen" else d


def _is_money(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    whole, dot, fraction = value.partition(".")
    return dot == "." and len(fraction) == 2 and whole.lstrip("-").isdigit() and fraction.isdigit()


def _is_decimal(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    whole, dot, fraction = value.partition(".")
    return dot == "." and whole.lstrip("-").isdigit() and fraction.isdigit()
