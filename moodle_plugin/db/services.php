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
 * External functions of the S3 video submission plugin, called by its AMD modules through core/ajax.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$functions = [
    'assignsubmission_s3video_get_upload_url' => [
        'classname' => 'assignsubmission_s3video\external\get_upload_url',
        'methodname' => 'execute',
        'description' => 'Permission to upload a video to the current user\'s submission: a presigned POST, '
            . 'or "multipart" for a large file.',
        'type' => 'write',
        'ajax' => true,
        'capabilities' => 'mod/assign:submit',
    ],
    'assignsubmission_s3video_confirm_upload' => [
        'classname' => 'assignsubmission_s3video\external\confirm_upload',
        'methodname' => 'execute',
        'description' => 'Confirm an uploaded video: the sidecar checks it in storage and Moodle records it.',
        'type' => 'write',
        'ajax' => true,
        'capabilities' => 'mod/assign:submit',
    ],
    'assignsubmission_s3video_get_playback_url' => [
        'classname' => 'assignsubmission_s3video\external\get_playback_url',
        'methodname' => 'execute',
        'description' => 'A fresh signed URL to play a submission\'s video.',
        'type' => 'read',
        'ajax' => true,
        'capabilities' => 'mod/assign:view',
    ],
    'assignsubmission_s3video_start_multipart' => [
        'classname' => 'assignsubmission_s3video\external\start_multipart',
        'methodname' => 'execute',
        'description' => 'Start or resume a multipart upload of a large video.',
        'type' => 'write',
        'ajax' => true,
        'capabilities' => 'mod/assign:submit',
    ],
    'assignsubmission_s3video_sign_parts' => [
        'classname' => 'assignsubmission_s3video\external\sign_parts',
        'methodname' => 'execute',
        'description' => 'Presigned URLs for parts of a multipart upload.',
        'type' => 'write',
        'ajax' => true,
        'capabilities' => 'mod/assign:submit',
    ],
    'assignsubmission_s3video_list_parts' => [
        'classname' => 'assignsubmission_s3video\external\list_parts',
        'methodname' => 'execute',
        'description' => 'The parts of a multipart upload that storage already holds.',
        'type' => 'read',
        'ajax' => true,
        'capabilities' => 'mod/assign:submit',
    ],
    'assignsubmission_s3video_complete_multipart' => [
        'classname' => 'assignsubmission_s3video\external\complete_multipart',
        'methodname' => 'execute',
        'description' => 'Complete a multipart upload; the video is checked and recorded.',
        'type' => 'write',
        'ajax' => true,
        'capabilities' => 'mod/assign:submit',
    ],
    'assignsubmission_s3video_abort_multipart' => [
        'classname' => 'assignsubmission_s3video\external\abort_multipart',
        'methodname' => 'execute',
        'description' => 'Cancel a multipart upload.',
        'type' => 'write',
        'ajax' => true,
        'capabilities' => 'mod/assign:submit',
    ],
];
