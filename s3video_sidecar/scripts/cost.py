"""``s3video-admin cost INI [--month YYYY-MM]``: a month's usage and its bill.

This month: the usage so far and projected to the month's end, and the projected bill. A past
month: what was measured, and its bill (storage is the month's average). A month that has not
begun is refused (``notebooks/cost_estimates.ipynb`` projects the future). The figures come
from the SDK's cost model (``sdk/cost.py``, the one the notebooks use), with the ini's prices.
"""

from __future__ import annotations

import re
import sys
from decimal import Decimal

from ..sdk.cost import units
from .ops import add_command, admin_service, human_bytes, print_json, table


def add_parser(subparsers):
    parser = add_command(subparsers, "cost", "a month's AWS cost: this one (so far and projected) or a past one", run)
    parser.add_argument("--month", help="a past month, YYYY-MM (default: this one)")


def run(args) -> int:
    if args.month and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month):
        print("s3video-admin cost: --month is YYYY-MM, e.g. 2026-11", file=sys.stderr)
        return 2
    with admin_service(args.ini) as service:
        try:
            cost = service.cost(args.month)
        except ValueError as exc:
            print(f"s3video-admin cost: {exc}", file=sys.stderr)
            return 2
    if cost is None:
        print("s3video-admin cost: no cost model is available", file=sys.stderr)
        return 1
    if args.json:
        print_json(cost)
    else:
        print_cost(cost)
    return 0


def print_cost(cost: dict) -> None:
    usage = cost["usage"]
    if usage["complete"]:
        print(f"Month {usage['month']} (complete, {usage['days_in_month']} days, UTC): measured")
        print(
            table(
                ["usage", "measured"],
                [
                    ["storage held (month's average)", human_bytes(usage["storage_bytes"])],
                    ["transfer out (at most)", human_bytes(usage["transfer_bytes"])],
                    ["views", usage["views"]],
                    ["uploads", usage["uploads"]],
                ],
            )
        )
        heading = f"Bill for {usage['month']} (from the measured usage"
    else:
        print(
            f"Month {usage['month']}: day {usage['days_elapsed']} of {usage['days_in_month']} (UTC),"
            " so far and projected to the month's end at the same pace"
        )
        print(
            table(
                ["usage", "so far", "projected to the month's end"],
                [
                    ["storage held", human_bytes(usage["storage_bytes"]), human_bytes(usage["storage_bytes"])],
                    [
                        "transfer out (at most)",
                        human_bytes(usage["transfer_bytes"]),
                        human_bytes(usage["projected_transfer_bytes"]),
                    ],
                    ["views", usage["views"], usage["projected_views"]],
                    ["uploads", usage["uploads"], "-"],
                ],
            )
        )
        heading = f"Projected bill for the whole of {usage['month']} (from the projected usage"
    print(f"\n{heading}, {cost['currency']}{', free tiers counted' if cost['free_tier'] else ''})")
    print(
        table(
            ["item", "quantity", "free", "billable", "cost"],
            [
                [
                    item["description"],
                    _quantity(item["quantity"], item["unit"]),
                    _amount(item["free_quantity"], item["unit"]),
                    _amount(item["billable_quantity"], item["unit"]),
                    _money(item),
                ]
                for item in cost["items"]
            ]
            + [["total", "", "", "", cost["total_usd"]]],
        )
    )
    if any(_money(item) == "<0.01" for item in cost["items"]):
        print("(<0.01: less than a cent; the total adds the items before rounding)")


def _quantity(value: float, unit: str) -> str:
    return f"{_amount(value, unit)} {units(unit, value)}"


def _amount(value: float, unit: str) -> str:
    """Requests and paths are whole; GB to the MB."""
    return f"{value:,.0f}" if unit in ("request", "path") else f"{value:,.3f}"


def _money(item: dict) -> str:
    if item["cost_usd"] == "0.00" and Decimal(item.get("cost_usd_unrounded", "0")) > 0:
        return "<0.01"
    return item["cost_usd"]
