<?php
// This file is part of Moodle - https://moodle.org/
//
// Moodle is free software: you can redistribute it and/or modify
// it under the terms of the GNU General Public License as published by
// the Free Software Foundation, either version 3 of the License, or
// (at your option) any later version.
//
// Moodle is distributed in the hope that it will be useful,
// but WITHOUT ANY WARRANTY; without even the implied warranty of
// MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
// GNU General Public License for more details.
//
// You should have received a copy of the GNU General Public License
// along with Moodle.  If not, see <https://www.gnu.org/licenses/>.

/**
 * The video dashboard (site administration): how many videos, how much storage, what it costs,
 * what went wrong, with uploads, views and storage per day drawn by Moodle's chart API.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

require_once(__DIR__ . '/../../../../config.php');
require_once($CFG->libdir . '/adminlib.php');

use assignsubmission_s3video\admin\admin_api;
use assignsubmission_s3video\sidecar_exception;

admin_api::page_setup('assignsubmission_s3video_dashboard');

$days = optional_param('days', 30, PARAM_INT);
$days = in_array($days, [7, 30, 90, 365]) ? $days : 30;
$PAGE->set_url(new moodle_url('/mod/assign/submission/s3video/dashboard.php', ['days' => $days]));

echo $OUTPUT->header();
echo $OUTPUT->heading(get_string('admin:dashboard', 'assignsubmission_s3video'));

$periods = [];
foreach ([7, 30, 90, 365] as $period) {
    $periods[$period] = get_string('admin:lastdays', 'assignsubmission_s3video', $period);
}
echo $OUTPUT->single_select($PAGE->url, 'days', $periods, $days, null);

try {
    $stats = admin_api::from_config()->stats($days);
} catch (sidecar_exception $e) {
    echo $OUTPUT->notification($e->getMessage() . ' ' . s($e->debuginfo), \core\output\notification::NOTIFY_ERROR);
    echo $OUTPUT->footer();
    die();
}

echo $OUTPUT->render_from_template('assignsubmission_s3video/dashboard', admin_api::dashboard_context($stats));

$series = admin_api::chart_series($stats);
$activity = new \core\chart_bar();
$activity->set_title(get_string('admin:perday', 'assignsubmission_s3video'));
$activity->set_labels($series['labels']);
$activity->add_series(new \core\chart_series(get_string('admin:uploads', 'assignsubmission_s3video'), $series['uploads']));
$activity->add_series(new \core\chart_series(get_string('admin:views', 'assignsubmission_s3video'), $series['views']));
echo $OUTPUT->render($activity);

$storage = new \core\chart_line();
$storage->set_title(get_string('admin:storageovertime', 'assignsubmission_s3video'));
$storage->set_labels($series['labels']);
$storage->add_series(new \core\chart_series(get_string('admin:storagemb', 'assignsubmission_s3video'), $series['storagemb']));
echo $OUTPUT->render($storage);

echo html_writer::link(new moodle_url('/mod/assign/submission/s3video/videomanagement.php'),
    get_string('admin:videomanagement', 'assignsubmission_s3video'), ['class' => 'btn btn-secondary mt-3']);
echo $OUTPUT->footer();
