"""Mailbox eligibility: permanent staff and contracts of at least 12 months."""

from __future__ import annotations

from datetime import date

from appliance.directory.naming import fold_ascii

CONTRACT_TYPES = ("permanent", "indefinite", "fixed_term", "seasonal", "probation")
MIN_CONTRACT_MONTHS = 12

# Accepted spellings, folded to ASCII, of each contract type in a staff list.
CONTRACT_ALIASES: dict[str, str] = {
    "permanent": "permanent",
    "bienche": "permanent",
    "congchuc": "permanent",
    "vienchuc": "permanent",
    "indefinite": "indefinite",
    "hopdongkhongxacdinhthoihan": "indefinite",
    "khongxacdinhthoihan": "indefinite",
    "fixedterm": "fixed_term",
    "hopdongxacdinhthoihan": "fixed_term",
    "xacdinhthoihan": "fixed_term",
    "hopdongcothoihan": "fixed_term",
    "seasonal": "seasonal",
    "hopdongthoivu": "seasonal",
    "thoivu": "seasonal",
    "probation": "probation",
    "thuviec": "probation",
}


def parse_contract_type(text: str) -> str:
    """Return the contract type named by `text` (English or Vietnamese), or raise ValueError."""
    folded = fold_ascii(text.replace("_", " "))
    if not folded:
        return "permanent"
    try:
        return CONTRACT_ALIASES[folded]
    except KeyError:
        raise ValueError(
            f"unknown contract type {text!r}; use one of: biên chế, hợp đồng không xác định "
            f"thời hạn, hợp đồng xác định thời hạn, hợp đồng thời vụ, thử việc "
            f"({', '.join(CONTRACT_TYPES)})"
        ) from None


def months_later(start: date, months: int) -> date:
    """Return the same day `months` later, or the month's last day when it has no such day."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("every month has a 28th day")


def mailbox_refusal(contract_type: str, contract_end: date | None, today: date) -> str | None:
    """Return why a person may not have a personal mailbox, or None if they may.

    A fixed-term contract qualifies when it runs at least 12 months from `today`, the day
    the mailbox would be created, because the staff list gives no start date.
    """
    if contract_type in ("permanent", "indefinite"):
        return None
    if contract_type == "fixed_term":
        if contract_end is None:
            return "fixed-term contract without an end date (Ngày hết hạn hợp đồng)"
        if contract_end < months_later(today, MIN_CONTRACT_MONTHS):
            return (
                f"contract ends on {contract_end.isoformat()}, less than "
                f"{MIN_CONTRACT_MONTHS} months from {today.isoformat()}"
            )
        return None
    return f"{contract_type} contracts get no personal mailbox"
