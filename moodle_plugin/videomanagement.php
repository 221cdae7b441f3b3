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
 * Video management (site administration): find videos by course, assignment, user, status, date
 * and size, page through them, delete one or restore one deleted within the grace period.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

require_once(__DIR__ . '/../../../../config.php');
require_once($CFG->libdir . '/adminlib.php');
require_once($CFG->dirroot . '/mod/assign/locallib.php');
require_once(__DIR__ . '/locallib.php');

use assignsubmission_s3video\admin\admin_api;
use assignsubmission_s3video\sidecar_exception;

admin_api::page_setup('assignsubmission_s3video_videos');

$filters = [
    'course' => optional_param('course', 0, PARAM_INT),
    'assignment' => optional_param('assignment', 0, PARAM_INT),
    'user' => optional_param('user', 0, PARAM_INT),
    'status' => optional_param('status', '', PARAM_ALPHA),
    'from' => optional_param('from', '', PARAM_RAW_TRIMMED),
    'to' => optional_param('to', '', PARAM_RAW_TRIMMED),
    'min_size' => optional_param('min_size', 0, PARAM_INT),
    'max_size' => optional_param('max_size', 0, PARAM_INT),
];
$filters['status'] = in_array($filters['status'], admin_api::STATUSES) ? $filters['status'] : '';
foreach (['from', 'to'] as $name) {
    $filters[$name] = preg_match('/^\d{4}-\d{2}-\d{2}$/', $filters[$name]) ? $filters[$name] : '';
}
$page = optional_param('page', 0, PARAM_INT);
$perpage = 25;
$baseurl = new moodle_url('/mod/assign/submission/s3video/videomanagement.php',
    admin_api::clean_filters($filters, admin_api::VIDEO_FILTERS));
$PAGE->set_url($baseurl, ['page' => $page]);
$api = admin_api::from_config();

// Delete and restore: POST with the session key, then back to the same page of the list.
$action = optional_param('action', '', PARAM_ALPHA);
if ($action !== '') {
    require_sesskey();
    $videoid = required_param('videoid', PARAM_INT);
    try {
        // Moodle's record follows the sidecar, so both agree whichever side starts a delete.
        if ($action === 'delete') {
            $forgotten = assign_submission_s3video::forget_deleted($api->delete_video($videoid));
            $message = $forgotten ? get_string('admin:deletedmoodle', 'assignsubmission_s3video', $videoid)
                : get_string('admin:deleted', 'assignsubmission_s3video', $videoid);
        } else if ($action === 'restore') {
            $remembered = assign_submission_s3video::remember_restored($api->restore_video($videoid));
            $message = $remembered ? get_string('admin:restoredmoodle', 'assignsubmission_s3video', $videoid)
                : get_string('admin:restored', 'assignsubmission_s3video', $videoid);
        } else {
            throw new moodle_exception('invalidaction');
        }
        redirect(new moodle_url($baseurl, ['page' => $page]), $message, null, \core\output\notification::NOTIFY_SUCCESS);
    } catch (sidecar_exception $e) {
        redirect(new moodle_url($baseurl, ['page' => $page]), $e->getMessage() . ' ' . s($e->debuginfo), null,
            \core\output\notification::NOTIFY_ERROR);
    }
}

echo $OUTPUT->header();
echo $OUTPUT->heading(get_string('admin:videomanagement', 'assignsubmission_s3video'));

// The filters: a plain GET form, so a filtered list is a link an admin can share.
$fields = '';
$labels = [
    'course' => get_string('admin:course', 'assignsubmission_s3video'),
    'assignment' => get_string('admin:assignment', 'assignsubmission_s3video'),
    'user' => get_string('admin:user', 'assignsubmission_s3video'),
    'from' => get_string('admin:from', 'assignsubmission_s3video'),
    'to' => get_string('admin:to', 'assignsubmission_s3video'),
    'min_size' => get_string('admin:minsize', 'assignsubmission_s3video'),
    'max_size' => get_string('admin:maxsize', 'assignsubmission_s3video'),
];
foreach ($labels as $name => $label) {
    $type = in_array($name, ['from', 'to']) ? 'date' : 'number';
    $fields .= html_writer::div(html_writer::label($label, "s3v-{$name}") . html_writer::empty_tag('input', [
        'type' => $type, 'name' => $name, 'id' => "s3v-{$name}", 'class' => 'form-control', 'min' => 0,
        'value' => $filters[$name] ?: '']), 'mr-2 me-2 mb-2');
}
$statuses = array_combine(admin_api::STATUSES, admin_api::STATUSES);
$fields .= html_writer::div(html_writer::label(get_string('admin:status', 'assignsubmission_s3video'), 's3v-status')
    . html_writer::select($statuses, 'status', $filters['status'], ['' => get_string('admin:anystatus',
        'assignsubmission_s3video')], ['id' => 's3v-status', 'class' => 'custom-select form-select']), 'mr-2 me-2 mb-2');
$fields .= html_writer::div(html_writer::empty_tag('input', ['type' => 'submit', 'class' => 'btn btn-primary',
    'value' => get_string('admin:filter', 'assignsubmission_s3video')]), 'mb-2 align-self-end');
echo html_writer::tag('form', $fields, ['method' => 'get', 'action' => $baseurl->out_omit_querystring(),
    'class' => 'd-flex flex-wrap mb-3']);

try {
    $found = $api->videos($filters, $page + 1, $perpage);
} catch (sidecar_exception $e) {
    echo $OUTPUT->notification($e->getMessage() . ' ' . s($e->debuginfo), \core\output\notification::NOTIFY_ERROR);
    echo $OUTPUT->footer();
    die();
}

$table = new html_table();
$table->head = [
    get_string('admin:video', 'assignsubmission_s3video'), get_string('admin:status', 'assignsubmission_s3video'),
    get_string('admin:course', 'assignsubmission_s3video'), get_string('admin:assignment', 'assignsubmission_s3video'),
    get_string('admin:user', 'assignsubmission_s3video'), get_string('admin:size', 'assignsubmission_s3video'),
    get_string('admin:uploaded', 'assignsubmission_s3video'), get_string('admin:filename', 'assignsubmission_s3video'),
    get_string('admin:actions', 'assignsubmission_s3video'),
];
$table->attributes['class'] = 'generaltable table-sm';
foreach ($found['videos'] as $video) {
    $actions = '';
    $actionurl = new moodle_url($baseurl, ['page' => $page, 'videoid' => $video['video_id']]);
    if (in_array($video['status'], ['pending', 'uploading', 'ready', 'error'])) {
        $actions .= $OUTPUT->single_button(new moodle_url($actionurl, ['action' => 'delete']),
            get_string('delete'), 'post', ['actions' => [new confirm_action(
                get_string('admin:confirmdelete', 'assignsubmission_s3video', $video['video_id']))]]);
    }
    if (!empty($video['restorable'])) {
        $actions .= $OUTPUT->single_button(new moodle_url($actionurl, ['action' => 'restore']),
            get_string('admin:restore', 'assignsubmission_s3video'), 'post');
    }
    $table->data[] = [
        $video['video_id'],
        s($video['status']) . (!empty($video['current']) ? ' ' . get_string('admin:current', 'assignsubmission_s3video') : ''),
        html_writer::link(new moodle_url('/course/view.php', ['id' => $video['course_id']]), $video['course_id']),
        $video['assignment_id'],
        html_writer::link(new moodle_url('/user/profile.php', ['id' => $video['user_id']]), $video['user_id']),
        display_size((int)($video['file_size'] ?? $video['declared_size'])),
        userdate($video['uploaded_at']),
        s($video['filename']),
        $actions,
    ];
}
echo html_writer::tag('p', get_string('admin:found', 'assignsubmission_s3video', $found['total']));
echo html_writer::table($table);
echo $OUTPUT->paging_bar($found['total'], $page, $perpage, $baseurl);
echo html_writer::link(new moodle_url('/mod/assign/submission/s3video/dashboard.php'),
    get_string('admin:dashboard', 'assignsubmission_s3video'), ['class' => 'btn btn-secondary']);
echo $OUTPUT->footer();
