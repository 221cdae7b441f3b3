"""The cost model: the seed's worked example to the cent, free tiers, settings, projections."""

from decimal import Decimal

import pytest

from s3video_sidecar.sdk.admin import MonthUsage, cost_estimator_from_settings
from s3video_sidecar.sdk.cost import (
    SETTING_NAMES,
    CostModel,
    MonthlyUsage,
    Scenario,
    gb_from_bytes,
    usd,
    video_size_gb,
)

SEED_USAGE = MonthlyUsage(storage_gb_months=Decimal(50), transfer_out_gb=Decimal(50))  # 100 x 500 MB, 1 view each


def test_seed_example_to_the_cent_with_the_free_tier_off():
    estimate = CostModel().estimate(SEED_USAGE, free_tier=False)
    assert usd(estimate.item("s3_storage").cost_usd) == Decimal("1.15")
    assert usd(estimate.item("cloudfront_transfer").cost_usd) == Decimal("4.25")
    assert usd(estimate.total_usd) == Decimal("5.40")
    assert estimate.as_dict()["total_usd"] == "5.40"


def test_seed_example_as_a_scenario_includes_requests_and_still_costs_5_40():
    scenario = Scenario(videos_per_month=100, video_size_gb=Decimal("0.5"), views_per_video=1)
    estimate = CostModel().estimate(scenario.usage_in_month(1), free_tier=False)
    assert estimate.item("cloudfront_requests").quantity == 100 * 10
    assert estimate.item("s3_put_requests").quantity == 100
    assert estimate.total_usd > Decimal("5.40")  # requests are not free...
    assert usd(estimate.total_usd) == Decimal("5.40")  # ...but they are negligible, as the seed says


def test_cloudfront_always_free_tier_covers_the_seed_example_transfer():
    estimate = CostModel().estimate(SEED_USAGE, free_tier=True)
    assert estimate.item("cloudfront_transfer").cost_usd == 0
    assert usd(estimate.total_usd) == Decimal("1.15")  # S3's 12-month tier is off unless asked


def test_s3_twelve_month_free_tier_deducts_5_gb():
    estimate = CostModel().estimate(SEED_USAGE, free_tier=True, s3_free_tier=True)
    storage = estimate.item("s3_storage")
    assert storage.billable_quantity == 45
    assert usd(storage.cost_usd) == Decimal("1.04")  # 45 x 0.023 = 1.035, half up


def test_s3_free_tier_needs_the_free_tier():
    estimate = CostModel().estimate(SEED_USAGE, free_tier=False, s3_free_tier=True)
    assert estimate.s3_free_tier is False
    assert estimate.item("s3_storage").billable_quantity == 50


def test_transfer_beyond_the_free_terabyte_is_billed():
    usage = MonthlyUsage(transfer_out_gb=Decimal(1024 + 100))
    assert CostModel().estimate(usage, free_tier=True).item("cloudfront_transfer").cost_usd == Decimal("8.500")


def test_requests_are_priced_per_ten_thousand_and_per_thousand():
    usage = MonthlyUsage(cloudfront_requests=20_000, s3_put_requests=2000, s3_get_requests=10_000)
    estimate = CostModel().estimate(usage, free_tier=False)
    assert estimate.item("cloudfront_requests").cost_usd == Decimal("0.02")
    assert estimate.item("s3_put_requests").cost_usd == Decimal("0.01")
    assert estimate.item("s3_get_requests").cost_usd == Decimal("0.004")


def test_first_thousand_invalidation_paths_are_free_even_without_the_free_tier():
    model = CostModel()
    assert model.estimate(MonthlyUsage(invalidation_paths=1000), free_tier=False).total_usd == 0
    assert model.estimate(MonthlyUsage(invalidation_paths=1200), free_tier=False).total_usd == Decimal("1.000")


def test_money_is_rounded_only_when_shown():
    usage = MonthlyUsage(storage_gb_months=Decimal("0.1"), transfer_out_gb=Decimal("0.1"))
    estimate = CostModel().estimate(usage, free_tier=False)
    # 0.0023 + 0.0085 = 0.0108 -> $0.01; rounding each item first would give $0.00 + $0.01
    assert estimate.total_usd == Decimal("0.0108")
    assert usd(estimate.total_usd) == Decimal("0.01")
    assert usd(Decimal("0.005")) == Decimal("0.01")  # half up, not to even


def test_sizes_in_billing_gigabytes():
    assert gb_from_bytes(1024**3) == 1
    # 10 minutes at 8 Mbit/s = 600 MB (decimal) = 0.5588 billing GB
    assert round(video_size_gb(600, 8), 4) == Decimal("0.5588")


def test_negative_usage_is_refused():
    with pytest.raises(ValueError, match="transfer_out_gb"):
        MonthlyUsage(transfer_out_gb=Decimal(-1))


def test_from_settings_defaults_are_the_seed_prices():
    model = CostModel.from_settings({"s3video.bucket": "unrelated"})
    assert model == CostModel()
    assert model.s3_storage_usd_per_gb_month == Decimal("0.023")
    assert model.cloudfront_transfer_usd_per_gb == Decimal("0.085")


def test_from_settings_reads_prices_and_free_tiers():
    model = CostModel.from_settings(
        {
            "s3video.cost.cloudfront_transfer_usd_per_gb": "0.110",
            "s3video.cost.cloudfront_free_transfer_gb_per_month": "50",
            "s3video.cost.free_tier": "off",
            "s3video.cost.requests_per_view": "3",
        }
    )
    assert model.cloudfront_transfer_usd_per_gb == Decimal("0.110")
    assert model.cloudfront_free_transfer_gb_per_month == 50
    assert model.free_tier is False
    assert model.requests_per_view == 3
    assert usd(model.estimate(SEED_USAGE).total_usd) == Decimal("6.65")  # 1.15 + 50 x 0.11


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("s3video.cost.s3_storage_usd_per_gb_month", "cheap"),
        ("s3video.cost.s3_storage_usd_per_gb_month", "-0.01"),
        ("s3video.cost.cloudfront_free_requests_per_month", "1.5"),
        ("s3video.cost.free_tier", "maybe"),
    ],
)
def test_from_settings_names_a_bad_value(name, value):
    with pytest.raises(ValueError, match=name.replace(".", r"\.")):
        CostModel.from_settings({name: value})


def test_from_settings_refuses_an_unknown_name():
    with pytest.raises(ValueError, match=r"s3video\.cost\.s3_storage_usd_per_gb: unknown setting"):
        CostModel.from_settings({"s3video.cost.s3_storage_usd_per_gb": "0.02"})


def test_every_field_is_a_known_setting():
    model = CostModel.from_settings(dict.fromkeys(SETTING_NAMES, "1"))
    assert model.s3_free_tier_months == 1 and model.free_tier is True


def test_projection_grows_storage_until_retention_then_levels():
    scenario = Scenario(videos_per_month=10, video_size_gb=Decimal(1), views_per_video=2, retention_months=3)
    months = CostModel().project(scenario, 5, free_tier=False)
    assert [m.usage.storage_gb_months for m in months] == [10, 20, 30, 30, 30]
    assert all(m.usage.transfer_out_gb == 20 for m in months)
    assert usd(months[-1].estimate.item("s3_storage").cost_usd) == Decimal("0.69")


def test_projection_applies_the_s3_free_tier_only_within_the_first_year():
    scenario = Scenario(videos_per_month=1, video_size_gb=Decimal(1), retention_months=1)
    months = CostModel().project(scenario, 3, free_tier=True, account_age_months=10)
    assert [m.estimate.s3_free_tier for m in months] == [True, True, False]
    assert CostModel().project(scenario, 1, free_tier=True)[0].estimate.s3_free_tier is False


def test_projection_needs_a_month():
    with pytest.raises(ValueError, match="months"):
        CostModel().project(Scenario(videos_per_month=1, video_size_gb=1), 0)


def test_admin_dashboard_estimate_from_measured_usage():
    measured = MonthUsage(
        month="2026-11",
        days_in_month=30,
        days_elapsed=15.0,
        storage_bytes=50 * 1024**3,
        transfer_bytes=25 * 1024**3,
        views=50,
        uploads=50,
        projected_transfer_bytes=50 * 1024**3,
        projected_views=100,
    )
    estimate = cost_estimator_from_settings({"s3video.cost.free_tier": "false"})(measured)
    items = {item["name"]: item for item in estimate["items"]}
    assert items["s3_storage"]["cost_usd"] == "1.15"
    assert items["cloudfront_transfer"]["cost_usd"] == "4.25"
    assert items["s3_put_requests"]["quantity"] == 100  # 50 uploads in half the month
    assert items["cloudfront_requests"]["quantity"] == 1000  # 100 views x 10 requests
    assert estimate["total_usd"] == "5.40"
