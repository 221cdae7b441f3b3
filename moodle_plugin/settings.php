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
 * Site settings of the S3 video submission plugin: the sidecar connection and the upload limits.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

use assignsubmission_s3video\local\connection_check;
use assignsubmission_s3video\local\limits;
use assignsubmission_s3video\sidecar_client;
use assignsubmission_s3video\sidecar_exception;

$settings->add(new admin_setting_configcheckbox('assignsubmission_s3video/default',
    new lang_string('default', 'assignsubmission_s3video'),
    new lang_string('default_help', 'assignsubmission_s3video'), 0));

// The sidecar and the key it shares with Moodle.
$settings->add(new admin_setting_heading('assignsubmission_s3video/connection',
    new lang_string('settings:connection', 'assignsubmission_s3video'),
    new lang_string('settings:connection_desc', 'assignsubmission_s3video')));

$settings->add(new admin_setting_configtext('assignsubmission_s3video/sidecarurl',
    new lang_string('settings:sidecarurl', 'assignsubmission_s3video'),
    new lang_string('settings:sidecarurl_desc', 'assignsubmission_s3video'), '', PARAM_URL, 60));

$settings->add(new admin_setting_configtext('assignsubmission_s3video/keyid',
    new lang_string('settings:keyid', 'assignsubmission_s3video'),
    new lang_string('settings:keyid_desc', 'assignsubmission_s3video'), '', '/^[A-Za-z0-9_.-]{0,64}$/', 30));

$settings->add(new admin_setting_configpasswordunmask('assignsubmission_s3video/secret',
    new lang_string('settings:secret', 'assignsubmission_s3video'),
    new lang_string('settings:secret_desc', 'assignsubmission_s3video'), ''));

$settings->add(new admin_setting_configtext('assignsubmission_s3video/connecttimeout',
    new lang_string('settings:connecttimeout', 'assignsubmission_s3video'),
    new lang_string('settings:connecttimeout_desc', 'assignsubmission_s3video'), 5, PARAM_INT, 4));

$settings->add(new admin_setting_configtext('assignsubmission_s3video/timeout',
    new lang_string('settings:timeout', 'assignsubmission_s3video'),
    new lang_string('settings:timeout_desc', 'assignsubmission_s3video'), 30, PARAM_INT, 4));

// Only on this plugin's own page: a live check of the connection (two short calls).
if ($ADMIN->fulltree && optional_param('section', '', PARAM_SAFEDIR) === 'assignsubmission_s3video'
        && get_config('assignsubmission_s3video', 'sidecarurl')) {
    try {
        [$ok, $message] = connection_check::run(sidecar_client::from_config());
    } catch (sidecar_exception $e) {
        [$ok, $message] = [false, $e->getMessage()];
    }
    $settings->add(new admin_setting_description('assignsubmission_s3video/connectionstatus',
        new lang_string('settings:checkconnection', 'assignsubmission_s3video'),
        html_writer::div($message, $ok ? 'alert alert-success' : 'alert alert-danger')));
}

// What students may upload, and how playback links are renewed.
$settings->add(new admin_setting_heading('assignsubmission_s3video/limits',
    new lang_string('settings:limits', 'assignsubmission_s3video'), ''));

$settings->add(new admin_setting_configselect('assignsubmission_s3video/maxbytes',
    new lang_string('settings:maxbytes', 'assignsubmission_s3video'),
    new lang_string('settings:maxbytes_desc', 'assignsubmission_s3video'), limits::DEFAULT_MAX_BYTES,
    limits::size_options()));

$settings->add(new admin_setting_configtext('assignsubmission_s3video/allowedtypes',
    new lang_string('settings:allowedtypes', 'assignsubmission_s3video'),
    new lang_string('settings:allowedtypes_desc', 'assignsubmission_s3video'), limits::DEFAULT_TYPES,
    limits::TYPES_SETTING_PATTERN, 60));

$settings->add(new admin_setting_configduration('assignsubmission_s3video/playbackexpiry',
    new lang_string('settings:playbackexpiry', 'assignsubmission_s3video'),
    new lang_string('settings:playbackexpiry_desc', 'assignsubmission_s3video'), 0, MINSECS));

$settings->add(new admin_setting_configselect('assignsubmission_s3video/partsinflight',
    new lang_string('settings:partsinflight', 'assignsubmission_s3video'),
    new lang_string('settings:partsinflight_desc', 'assignsubmission_s3video'), 4,
    array_combine(range(1, 8), range(1, 8))));

// The admin pages: the dashboard and video management (dashboard.php, videomanagement.php).
// Moodle reads this file for the full admin tree only, so those pages ask for the full tree.
$ADMIN->add('assignsubmissionplugins', new admin_externalpage('assignsubmission_s3video_dashboard',
    new lang_string('admin:dashboard', 'assignsubmission_s3video'),
    new moodle_url('/mod/assign/submission/s3video/dashboard.php'), 'moodle/site:config'));
$ADMIN->add('assignsubmissionplugins', new admin_externalpage('assignsubmission_s3video_videos',
    new lang_string('admin:videomanagement', 'assignsubmission_s3video'),
    new moodle_url('/mod/assign/submission/s3video/videomanagement.php'), 'moodle/site:config'));
$settings->add(new admin_setting_description('assignsubmission_s3video/adminpages',
    new lang_string('admin:pages', 'assignsubmission_s3video'),
    html_writer::link(new moodle_url('/mod/assign/submission/s3video/dashboard.php'),
        get_string('admin:dashboard', 'assignsubmission_s3video')) . ' | ' .
    html_writer::link(new moodle_url('/mod/assign/submission/s3video/videomanagement.php'),
        get_string('admin:videomanagement', 'assignsubmission_s3video'))));
