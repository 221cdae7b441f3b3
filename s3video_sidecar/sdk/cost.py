"""The cost model: what a month of video submissions costs on S3 and CloudFront.

Rules of this module:

- Prices and free tiers are settings (``s3video.cost.*`` in the ini, see
  :data:`SETTING_NAMES`), never constants buried in code. The defaults are the seed's
  figures ($0.023 per GB-month of S3 Standard, $0.085 per GB of CloudFront transfer out)
  and AWS's published us-east-1 request and invalidation prices; an admin whose region
  costs more sets the ones that differ.
- Money is :class:`~decimal.Decimal` throughout and is rounded to cents (half up) only
  when shown: :func:`usd` and :meth:`CostEstimate.as_dict`. Totals add unrounded items.
- "GB" is AWS's billing unit, 2**30 bytes (:func:`gb_from_bytes`); quantities already in
  GB are taken as given, so the seed's worked example (100 videos x 500 MB = 50 GB) is
  stated in GB directly and gives exactly $1.15 + $4.25 = $5.40 with the free tier off.
- Free tiers: CloudFront's always-free tier (1 TB = 1,024 GB out and 10 million requests
  a month, every account, every month) and S3's 12-month tier for new accounts (5 GB of
  Standard storage, 20,000 GET and 2,000 PUT requests a month). A free tier belongs to the
  whole AWS account: an estimate assumes this sidecar is its only user. The first 1,000
  invalidation paths a month are part of CloudFront's price, not of a free tier, so they
  are always deducted.
- Not modelled, and said so: transfer from S3 to CloudFront (free), CloudFront's cheaper
  rates above 10 TB a month (the estimate is then an upper bound), taxes.
- No Pyramid and no AWS calls: the notebooks, the admin dashboard and the tests share it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar, Protocol

import colander

from .ini import Bool, check_known, ini_names, parse_fields, setting

BYTES_PER_GB = 1024**3  # AWS bills storage and transfer in GB of 2**30 bytes
CENT = Decimal("0.01")
SETTING_PREFIX = "s3video.cost."


def usd(amount: Decimal) -> Decimal:
    """Round an amount of dollars to cents, half up: for presentation only."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def units(unit: str, quantity: float | Decimal) -> str:
    """The unit for a quantity: "1 request", "1,320 requests" (GB and GB-month stay as AWS writes them)."""
    return unit + "s" if unit in ("request", "path") and quantity != 1 else unit


def gb_from_bytes(size_bytes: int) -> Decimal:
    """Bytes as the GB AWS bills (2**30 bytes), unrounded."""
    return Decimal(size_bytes) / BYTES_PER_GB


def video_size_gb(duration_seconds: float, bitrate_mbit_per_second: float) -> Decimal:
    """The size of a video of that length and overall bitrate (audio included), in billing GB."""
    size_bytes = Decimal(str(bitrate_mbit_per_second)) * 1_000_000 / 8 * Decimal(str(duration_seconds))
    return size_bytes / BYTES_PER_GB


class MeasuredMonth(Protocol):
    """What the estimate reads of a measured month (``sdk.admin.MonthUsage``)."""

    @property
    def days_in_month(self) -> int: ...
    @property
    def days_elapsed(self) -> float: ...
    @property
    def uploads(self) -> int: ...
    @property
    def storage_bytes(self) -> int: ...
    @property
    def projected_transfer_bytes(self) -> int: ...
    @property
    def projected_views(self) -> int: ...


# -- the model ---------------------------------------------------------------------------


def _price(default: str, help: str) -> Any:
    return setting(
        type=colander.Decimal, default=Decimal(default), validator=colander.Range(min=0, max=1000), help=help
    )


def _count(default: int, help: str = "") -> Any:
    return setting(type=colander.Int, default=default, validator=colander.Range(min=0), help=help)


@dataclass(frozen=True)
class CostModel:
    """Prices (US dollars) and free tiers. Every field is the setting ``s3video.cost.<field>``,
    declared once (``sdk/ini.py``) and parsed with the sidecar's other settings."""

    INI_PREFIX: ClassVar[str] = SETTING_PREFIX

    s3_storage_usd_per_gb_month: Decimal = _price("0.023", "S3 Standard, per GB-month (first 50 TB)")
    s3_put_usd_per_1000_requests: Decimal = _price("0.005", "S3 PUT, POST, COPY, LIST")
    s3_get_usd_per_1000_requests: Decimal = _price("0.0004", "S3 GET, HEAD and the rest")
    cloudfront_transfer_usd_per_gb: Decimal = _price("0.085", "CloudFront transfer out, per GB (first 10 TB)")
    cloudfront_usd_per_10000_requests: Decimal = _price("0.0100", "CloudFront HTTPS requests")
    invalidation_usd_per_path: Decimal = _price("0.005", "CloudFront invalidation, past the free paths")
    free_invalidation_paths_per_month: int = _count(1000, "invalidation paths a month in CloudFront's price")
    cloudfront_free_transfer_gb_per_month: Decimal = _price("1024", "CloudFront's always-free tier: 1 TB out a month")
    cloudfront_free_requests_per_month: int = _count(10_000_000, "... and 10 million requests")
    s3_free_storage_gb: Decimal = _price("5", "S3's free tier, an account's first 12 months only")
    s3_free_put_requests_per_month: int = _count(2000, "S3's free tier: PUT requests a month")
    s3_free_get_requests_per_month: int = _count(20_000, "S3's free tier: GET requests a month")
    s3_free_tier_months: int = _count(12, "how long S3's free tier lasts")
    # How the admin dashboard estimates (the notebooks pass these explicitly):
    free_tier: bool = setting(type=Bool, default=True, help="the dashboard counts the free tiers")
    s3_free_tier: bool = setting(
        type=Bool, default=False, help="the account is in its first `s3_free_tier_months` months"
    )
    requests_per_view: int = _count(10, "CloudFront requests one playback makes (Range requests, seeking)")

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> CostModel:
        """The model of an ini's ``[app:main]`` settings (the raw dict); defaults where unset.

        Raises ValueError (``SettingsError``) naming the setting when a value is invalid or a name
        under ``s3video.cost.`` is unknown (a misspelt price would otherwise be silently ignored).
        """
        check_known(settings, SETTING_NAMES, (SETTING_PREFIX,), hint=f"known: {', '.join(SETTING_NAMES)}")
        return cls(**parse_fields(cls, settings))

    # -- estimates -------------------------------------------------------------------
    def estimate(
        self, usage: MonthlyUsage, *, free_tier: bool | None = None, s3_free_tier: bool | None = None
    ) -> CostEstimate:
        """An itemised estimate of one month's bill.

        ``free_tier`` counts CloudFront's always-free tier; ``s3_free_tier`` also counts S3's
        12-month tier (only with ``free_tier``). Unset, both follow the model's settings.
        """
        free_tier = self.free_tier if free_tier is None else free_tier
        s3_free = free_tier and (self.s3_free_tier if s3_free_tier is None else s3_free_tier)

        def free(amount: int | Decimal) -> Decimal:
            return Decimal(amount) if free_tier else Decimal(0)

        def s3_free_amount(amount: int | Decimal) -> Decimal:
            return Decimal(amount) if s3_free else Decimal(0)

        items = (
            LineItem.priced(
                "s3_storage",
                "S3 Standard storage",
                usage.storage_gb_months,
                "GB-month",
                s3_free_amount(self.s3_free_storage_gb),
                self.s3_storage_usd_per_gb_month,
                1,
            ),
            LineItem.priced(
                "cloudfront_transfer",
                "CloudFront transfer out",
                usage.transfer_out_gb,
                "GB",
                free(self.cloudfront_free_transfer_gb_per_month),
                self.cloudfront_transfer_usd_per_gb,
                1,
            ),
            LineItem.priced(
                "cloudfront_requests",
                "CloudFront HTTPS requests",
                usage.cloudfront_requests,
                "request",
                free(self.cloudfront_free_requests_per_month),
                self.cloudfront_usd_per_10000_requests,
                10_000,
            ),
            LineItem.priced(
                "s3_put_requests",
                "S3 PUT/POST/LIST requests",
                usage.s3_put_requests,
                "request",
                s3_free_amount(self.s3_free_put_requests_per_month),
                self.s3_put_usd_per_1000_requests,
                1000,
            ),
            LineItem.priced(
                "s3_get_requests",
                "S3 GET/HEAD requests",
                usage.s3_get_requests,
                "request",
                s3_free_amount(self.s3_free_get_requests_per_month),
                self.s3_get_usd_per_1000_requests,
                1000,
            ),
            # Part of the price, not of a free tier: deducted whatever ``free_tier`` says.
            LineItem.priced(
                "cloudfront_invalidations",
                "CloudFront invalidation paths",
                usage.invalidation_paths,
                "path",
                Decimal(self.free_invalidation_paths_per_month),
                self.invalidation_usd_per_path,
                1,
            ),
        )
        return CostEstimate(items=items, free_tier=free_tier, s3_free_tier=s3_free)

    def estimate_month(self, measured: MeasuredMonth) -> dict[str, Any]:
        """The admin dashboard's estimate for a month it measured (``sdk.admin.MonthUsage``),
        JSON-ready (money as strings of cents), with the model's free-tier settings."""
        return self.estimate(MonthlyUsage.from_measured(measured, self.requests_per_view)).as_dict()

    def project(
        self, scenario: Scenario, months: int, *, free_tier: bool | None = None, account_age_months: int | None = None
    ) -> list[MonthProjection]:
        """Month-by-month estimates of a steady scenario over ``months`` months.

        ``account_age_months`` is the account's age in whole months at the first projected
        month (0 for a new account); S3's free tier then applies while it is within
        ``s3_free_tier_months``. None means the S3 free tier does not apply.
        """
        if months < 1:
            raise ValueError("months: give at least 1")
        projection: list[MonthProjection] = []
        for month in range(1, months + 1):
            usage = scenario.usage_in_month(month)
            within_s3_tier = (
                account_age_months is not None and account_age_months + month - 1 < self.s3_free_tier_months
            )
            projection.append(
                MonthProjection(month, usage, self.estimate(usage, free_tier=free_tier, s3_free_tier=within_s3_tier))
            )
        return projection


# -- usage and results -------------------------------------------------------------------


@dataclass(frozen=True)
class MonthlyUsage:
    """What one month uses; every quantity is what AWS bills (GB of 2**30 bytes, requests)."""

    storage_gb_months: Decimal = Decimal(0)  # GB held for the whole month (10 GB for 3 days ~ 1 GB-month)
    transfer_out_gb: Decimal = Decimal(0)  # GB CloudFront sends to viewers
    cloudfront_requests: int = 0
    s3_put_requests: int = 0
    s3_get_requests: int = 0  # HEAD at confirm, and CloudFront's fetches from the bucket
    invalidation_paths: int = 0

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value < 0:
                raise ValueError(f"{field.name}: cannot be negative")
            if field.type == "Decimal":
                object.__setattr__(
                    self, field.name, Decimal(str(value)) if isinstance(value, float) else Decimal(value)
                )

    @classmethod
    def from_measured(cls, measured: MeasuredMonth, requests_per_view: int) -> MonthlyUsage:
        """Usage from the admin service's ``MonthUsage``: storage held now for the whole month,
        transfer and views projected to the month's end at the pace so far; every CloudFront
        request is assumed to miss the cache (one S3 GET each), an upper bound."""
        pace = Decimal(measured.days_in_month) / Decimal(str(max(measured.days_elapsed, 0.01)))
        uploads = math.ceil(measured.uploads * pace)
        requests = measured.projected_views * requests_per_view
        return cls(
            storage_gb_months=gb_from_bytes(measured.storage_bytes),
            transfer_out_gb=gb_from_bytes(measured.projected_transfer_bytes),
            cloudfront_requests=requests,
            s3_put_requests=uploads,
            s3_get_requests=requests + uploads,
        )


@dataclass(frozen=True)
class LineItem:
    name: str
    description: str
    quantity: Decimal
    unit: str
    free_quantity: Decimal
    billable_quantity: Decimal
    unit_price_usd: Decimal  # per ``price_per_units`` units
    price_per_units: int
    cost_usd: Decimal  # unrounded

    @classmethod
    def priced(
        cls,
        name: str,
        description: str,
        quantity: int | Decimal,
        unit: str,
        free_quantity: Decimal,
        unit_price_usd: Decimal,
        price_per_units: int,
    ) -> LineItem:
        quantity = Decimal(quantity)
        billable = max(quantity - free_quantity, Decimal(0))
        return cls(
            name,
            description,
            quantity,
            unit,
            free_quantity,
            billable,
            Decimal(unit_price_usd),
            price_per_units,
            billable * Decimal(unit_price_usd) / price_per_units,
        )


@dataclass(frozen=True)
class CostEstimate:
    items: tuple[LineItem, ...]
    free_tier: bool
    s3_free_tier: bool

    @property
    def total_usd(self) -> Decimal:
        """The unrounded total: round with :func:`usd` to show it."""
        return sum((item.cost_usd for item in self.items), Decimal(0))

    def item(self, name: str) -> LineItem:
        for item in self.items:
            if item.name == name:
                return item
        raise KeyError(name)

    def as_dict(self) -> dict[str, Any]:
        """For JSON: quantities as numbers, money as strings of dollars and cents."""
        return {
            "currency": "USD",
            "free_tier": self.free_tier,
            "s3_free_tier": self.s3_free_tier,
            "items": [
                {
                    "name": item.name,
                    "description": item.description,
                    "quantity": float(item.quantity),
                    "unit": item.unit,
                    "free_quantity": float(min(item.free_quantity, item.quantity)),
                    "billable_quantity": float(item.billable_quantity),
                    "price_usd": f"{item.unit_price_usd} per {item.price_per_units:,}"
                    f" {units(item.unit, item.price_per_units)}",
                    "cost_usd": str(usd(item.cost_usd)),
                    # the total adds these, so items shown as 0.00 may still make a cent
                    "cost_usd_unrounded": str(item.cost_usd.normalize() if item.cost_usd else 0),
                }
                for item in self.items
            ],
            "total_usd": str(usd(self.total_usd)),
        }


@dataclass(frozen=True)
class Scenario:
    """A steady pattern of use, from which each month's usage follows.

    Simplifications, all on the side of overestimating: a video is stored for the whole of
    its upload month and of each month it is kept after; it is watched (in full, each view a
    cache miss) in the month it is uploaded, which is when teachers grade.
    """

    videos_per_month: int  # uploads confirmed a month (students x submissions a month)
    video_size_gb: Decimal
    views_per_video: Decimal = Decimal(1)
    retention_months: int = 12  # months a video is kept, its upload month included
    requests_per_view: int = 10  # CloudFront requests one playback makes
    s3_put_requests_per_upload: int = 1  # one presigned POST; multipart: parts + 2

    def __post_init__(self) -> None:
        if self.videos_per_month < 0 or self.retention_months < 1 or self.views_per_video < 0:
            raise ValueError("videos_per_month and views_per_video cannot be negative; retention_months is at least 1")
        object.__setattr__(self, "video_size_gb", Decimal(str(self.video_size_gb)))
        object.__setattr__(self, "views_per_video", Decimal(str(self.views_per_video)))

    def usage_in_month(self, month: int) -> MonthlyUsage:
        """Usage in month ``month`` (1 = the first month of uploads)."""
        stored_videos = self.videos_per_month * min(month, self.retention_months)
        views = self.videos_per_month * self.views_per_video
        requests = math.ceil(views * self.requests_per_view)
        return MonthlyUsage(
            storage_gb_months=stored_videos * self.video_size_gb,
            transfer_out_gb=views * self.video_size_gb,
            cloudfront_requests=requests,
            s3_put_requests=self.videos_per_month * self.s3_put_requests_per_upload,
            s3_get_requests=requests + self.videos_per_month,  # + the HEAD at confirm
        )


@dataclass(frozen=True)
class MonthProjection:
    month: int
    usage: MonthlyUsage
    estimate: CostEstimate


SETTING_NAMES = ini_names(CostModel)
