"""The plugin installs with upgrade.php and its settings page saves whole in the browser (issue 13 items 1, 10)."""

from tests.moodle_e2e.conftest import COMPONENT, assert_clean, plugin_version


def test_upgrade_installs_the_plugin_with_every_default(moodle, installed):
    assert "Coding error" not in installed.stdout + installed.stderr
    assert moodle.get_config("version", COMPONENT) == str(plugin_version())
    # every setting has its default after install, also those below the allowed types
    for name in ("maxbytes", "allowedtypes", "playbackexpiry", "partsinflight", "connecttimeout", "timeout"):
        assert moodle.get_config(name, COMPONENT) not in (None, ""), name
    assert moodle.get_config("partsinflight", COMPONENT) == "4"
    assert moodle.get_config("playbackexpiry", COMPONENT) == "0"


def test_the_settings_page_saves_every_field(moodle, as_admin):
    page = as_admin()
    page.goto(f"/admin/settings.php?section={COMPONENT}")
    assert_clean(page)
    page.fill(f"#id_s_{COMPONENT}_allowedtypes", "video/mp4, video/webm; video/quicktime")
    page.fill(f"#id_s_{COMPONENT}_playbackexpiryv", "7")  # a duration: value and unit (minutes)
    page.select_option(f"#id_s_{COMPONENT}_playbackexpiryu", "60")
    page.select_option(f"#id_s_{COMPONENT}_partsinflight", "3")
    page.fill(f"#id_s_{COMPONENT}_timeout", "40")
    try:
        page.click('form#adminsettings button[type="submit"]')
        page.wait_for_load_state()
        assert_clean(page)
        assert page.get_by_text("Changes saved").count() == 1, page.inner_text("#region-main")[:1000]
        assert moodle.get_config("allowedtypes", COMPONENT) == "video/mp4, video/webm; video/quicktime"
        assert moodle.get_config("playbackexpiry", COMPONENT) == "420"
        assert moodle.get_config("partsinflight", COMPONENT) == "3"
        assert moodle.get_config("timeout", COMPONENT) == "40"
    finally:
        for name, value in {
            "allowedtypes": "video/mp4 video/webm video/quicktime",
            "playbackexpiry": 0,
            "partsinflight": 4,
            "timeout": 30,
        }.items():
            moodle.set_config(name, value, COMPONENT)


def test_a_bad_type_list_is_refused_with_a_message_and_changes_nothing(moodle, as_admin):
    before = moodle.get_config("allowedtypes", COMPONENT)
    page = as_admin()
    page.goto(f"/admin/settings.php?section={COMPONENT}")
    page.fill(f"#id_s_{COMPONENT}_allowedtypes", "mp4 <script>")
    page.click('form#adminsettings button[type="submit"]')
    page.wait_for_load_state()
    assert_clean(page)
    assert page.get_by_text("Changes saved").count() == 0
    assert (
        page.locator(
            f"#admin-allowedtypes .error, #admin-allowedtypes .form-control.is-invalid, "
            f"#id_s_{COMPONENT}_allowedtypes.is-invalid"
        ).count()
        + page.get_by_text("Some settings were not changed").count()
        >= 1
    )
    assert moodle.get_config("allowedtypes", COMPONENT) == before
