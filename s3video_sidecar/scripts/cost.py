"""``s3video-admin cost INI [--month YYYY-MM]``: the month's usage so far and projected, and its bill.

The figures come from the SDK's cost model (``sdk/cost.py``, the one the notebooks use),
with the prices of the ini (the seed's as defaults).
"""

from __future__ import annotations

import re

from .ops import add_command, admin_service, human_bytes, print_json, table


def add_parser(subparsers):
    parser = add_command(subparsers, "cost", "this month's AWS cost so far and projected to the month's end", run)
    parser.add_argument("--month", help="another month, YYYY-MM (default: this one)")


def run(args) -> int:
    if args.month and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month):
        print("s3video-admin cost: --month is YYYY-MM")
        return 2
    with admin_service(args.ini) as service:
        cost = service.cost(args.month)
    if cost is None:
        print("s3video-admin cost: no cost model is available")
        return 1
    if args.json:
        print_json(cost)
    else:
        print_cost(cost)
    return 0


def print_cost(cost: dict) -> None:
    usage = cost["usage"]
    print(f"Month {usage['month']}: day {usage['days_elapsed']} of {usage['days_in_month']} (UTC)")
    print(table(["usage", "so far", "projected to the month's end"], [
        ["storage held", human_bytes(usage["storage_bytes"]), human_bytes(usage["storage_bytes"])],
        ["transfer out (at most)", human_bytes(usage["transfer_bytes"]), human_bytes(usage["projected_transfer_bytes"])],
        ["views", usage["views"], usage["projected_views"]],
        ["uploads", usage["uploads"], "-"],
    ]))
    print(f"\nEstimated bill for {usage['month']} ({cost['currency']}"
          f"{', free tiers counted' if cost['free_tier'] else ''})")
    print(table(["item", "quantity", "free", "billable", "cost"],
                [[item["description"], f"{_amount(item['quantity'], item['unit'])} {item['unit']}",
                  _amount(item["free_quantity"], item["unit"]), _amount(item["billable_quantity"], item["unit"]),
                  item["cost_usd"]] for item in cost["items"]]
                + [["total", "", "", "", cost["total_usd"]]]))


def _amount(value: float, unit: str) -> str:
    """Requests and paths are whole; GB to the MB."""
    return f"{value:,.0f}" if unit in ("request", "path") else f"{value:,.3f}"
