"""The plugin's admin pages load clean at DEVELOPER debugging, and cron runs clean."""

import re

import pytest

from tests.moodle_e2e.conftest import assert_clean


@pytest.mark.parametrize("page_name", ["dashboard.php", "videomanagement.php"])
def test_admin_pages_load_without_debugging(moodle, submitted, as_admin, page_name):
    page = as_admin()
    response = page.goto(f"/mod/assign/submission/s3video/{page_name}")
    assert response.status == 200
    assert_clean(page)
    assert page.locator("#region-main").inner_text().strip()


def test_video_management_lists_the_submitted_video(moodle, submitted, clips, as_admin):
    page = as_admin()
    page.goto("/mod/assign/submission/s3video/videomanagement.php")
    assert clips["first"].name in page.inner_text("#region-main")


def test_cron_runs_clean(moodle, submitted):
    done = moodle.cli("cron.php", "--keep-alive=0", check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    ours = [line for line in output.splitlines() if "s3video" in line.lower()]
    assert not [line for line in ours if re.search(r"fail|exception|error|warning|notice", line, re.I)], ours
    failing = moodle.php("""
        return array_values(array_map(fn($t) => $t->classname, $DB->get_records_select('task_adhoc',
            "component = 'assignsubmission_s3video' AND faildelay > 0")));
    """)
    assert failing == []
