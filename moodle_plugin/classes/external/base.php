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

namespace assignsubmission_s3video\external;

defined('MOODLE_INTERNAL') || die();

require_once(__DIR__ . '/../../compat.php');
require_once($CFG->dirroot . '/mod/assign/locallib.php');
require_once($CFG->libdir . '/gradelib.php');

use assignsubmission_s3video\actor;
use core_external\external_api;
use core_external\external_function_parameters;
use core_external\external_single_structure;
use core_external\external_value;

/**
 * What every external function of the plugin does first: find the assignment, validate the context,
 * check the capability, and build the actor that the sidecar call carries.
 *
 * The upload calls act on the current user's own submission (created if needed, as the submission
 * page does), and only while they may still change it. The sidecar is then addressed by the Moodle
 * assignment instance id and the submission id.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
abstract class base extends external_api {

    /**
     * The assignment parameter every function takes.
     *
     * @return external_value
     */
    protected static function assignment_parameter(): external_value {
        return new external_value(PARAM_INT, 'The assignment instance id (assign.id)');
    }

    /**
     * Parameters of the calls about a file to upload: the assignment, the file's name, size and type.
     *
     * @param array $more further parameters
     * @return external_function_parameters
     */
    protected static function file_parameters(array $more = []): external_function_parameters {
        return new external_function_parameters([
            'assignmentid' => self::assignment_parameter(),
            'filename' => new external_value(PARAM_FILE, 'The name of the video file'),
            'filesize' => new external_value(PARAM_INT, 'Its size in bytes'),
            'mimetype' => new external_value(PARAM_RAW_TRIMMED, 'Its MIME type, e.g. video/mp4'),
        ] + $more);
    }

    /**
     * Parameters of the calls about a multipart upload: the assignment and the upload id.
     *
     * @param array $more further parameters
     * @return external_function_parameters
     */
    protected static function multipart_parameters(array $more = []): external_function_parameters {
        return new external_function_parameters([
            'assignmentid' => self::assignment_parameter(),
            'uploadid' => new external_value(PARAM_RAW, 'The multipart upload id the sidecar returned'),
        ] + $more);
    }

    /**
     * Load the assignment after validating its context and the view capability.
     *
     * @param int $assignmentid assign instance id
     * @return array [\assign, \assign_submission_s3video]
     * @throws \moodle_exception when the plugin is not enabled in this assignment
     */
    protected static function load_assignment(int $assignmentid): array {
        [$course, $cm] = get_course_and_cm_from_instance($assignmentid, 'assign');
        $context = \context_module::instance($cm->id);
        self::validate_context($context);
        require_capability('mod/assign:view', $context);
        $assign = new \assign($context, $cm, $course);
        $plugin = $assign->get_submission_plugin_by_type('s3video');
        if (!$plugin || !$plugin->is_enabled()) {
            throw new \moodle_exception('error:notenabled', 'assignsubmission_s3video');
        }
        return [$assign, $plugin];
    }

    /**
     * For the upload calls: the current user's own submission, which they may still change.
     *
     * @param int $assignmentid assign instance id
     * @return array [\assign, \assign_submission_s3video, \stdClass submission, actor]
     * @throws \moodle_exception when the submission can not be changed now
     */
    protected static function own_submission(int $assignmentid): array {
        global $USER;
        [$assign, $plugin] = self::load_assignment($assignmentid);
        require_capability('mod/assign:submit', $assign->get_context());
        if (!$assign->submissions_open($USER->id) || !$assign->can_edit_submission($USER->id, $USER->id)) {
            throw self::closed_exception($assign, (int)$USER->id);
        }
        if ($assign->get_instance()->teamsubmission) {
            $submission = $assign->get_group_submission($USER->id, 0, true);
        } else {
            $submission = $assign->get_user_submission($USER->id, true);
        }
        $actor = actor::for_user_in_context($assign->get_context(), (int)$assign->get_course()->id, $submission);
        return [$assign, $plugin, $submission, $actor];
    }

    /**
     * Why Moodle refuses this user's edit of their submission, as the message to show.
     *
     * The reasons are those of assign::submissions_open() and assign::can_edit_submission(), checked
     * in the same order; anything else gets the general message.
     *
     * @param \assign $assign the assignment
     * @param int $userid the student
     * @return \moodle_exception
     */
    public static function closed_exception(\assign $assign, int $userid): \moodle_exception {
        $instance = $assign->get_instance();
        $flags = $assign->get_user_flags($userid, false);
        $now = time();
        $cutoff = (int)$instance->cutoffdate;
        if ($cutoff && $flags && $flags->extensionduedate > $cutoff) {
            $cutoff = (int)$flags->extensionduedate;
        }
        $submission = $instance->teamsubmission ? $assign->get_group_submission($userid, 0, false)
            : $assign->get_user_submission($userid, false);
        $grades = grade_get_grades($assign->get_course()->id, 'mod', 'assign', $instance->id, [$userid]);
        if ($flags && $flags->locked) {
            $reason = ['error:closed:locked', null];
        } else if ($instance->allowsubmissionsfromdate > $now) {
            $reason = ['error:closed:notopen', userdate($instance->allowsubmissionsfromdate)];
        } else if ($cutoff && $now > $cutoff) {
            $reason = ['error:closed:cutoff', userdate($cutoff)];
        } else if ($submission && $instance->submissiondrafts && $submission->status === ASSIGN_SUBMISSION_STATUS_SUBMITTED) {
            $reason = ['error:closed:submitted', null];
        } else if (!empty($grades->items[0]->grades[$userid]->locked)) {
            $reason = ['error:closed:gradelocked', null];
        } else if ($instance->teamsubmission && $instance->preventsubmissionnotingroup
                && !$assign->get_submission_group($userid)) {
            $reason = ['error:closed:notingroup', null];
        } else {
            return new \moodle_exception('error:submissionclosed', 'assignsubmission_s3video');
        }
        return new \moodle_exception($reason[0], 'assignsubmission_s3video', '', $reason[1]);
    }

    /**
     * Describe a confirmed draft to the browser.
     *
     * What the form uploads is a draft (C2): the sidecar holds it ready, but it is not the
     * submission's video until the student saves the form ({@see \assign_submission_s3video::save()}),
     * and Cancel leaves the submitted video as it was. A draft over this assignment's own limit is
     * refused here (the sidecar only knows the site-wide limit); it expires unused.
     *
     * @param \assign_submission_s3video $plugin the plugin
     * @param array $confirmed the sidecar's confirm or complete answer
     * @return array as {@see self::confirmed_returns()}
     */
    protected static function confirmed(\assign_submission_s3video $plugin, array $confirmed): array {
        $video = $plugin->check_confirmed($confirmed);
        return [
            'status' => 'ready',
            's3_key' => $video->s3key,
            'filename' => $video->filename,
            'file_size' => (int)$video->filesize,
            'mime_type' => $video->mimetype,
            'displaysize' => display_size((int)$video->filesize),
            'current' => !empty($confirmed['current']),
            'checksum_sha256' => (string)$video->checksum,
            'checksum_type' => (string)$video->checksumtype,
        ];
    }

    /**
     * What confirm_upload and complete_multipart return.
     *
     * @return external_single_structure
     */
    protected static function confirmed_returns(): external_single_structure {
        return new external_single_structure([
            'status' => new external_value(PARAM_ALPHA, 'Always "ready": the video is checked and stored'),
            's3_key' => new external_value(PARAM_RAW, 'The storage key of the video'),
            'filename' => new external_value(PARAM_TEXT, 'The file name as stored'),
            'file_size' => new external_value(PARAM_INT, 'Size in bytes, as the sidecar measured it'),
            'mime_type' => new external_value(PARAM_RAW, 'MIME type'),
            'displaysize' => new external_value(PARAM_TEXT, 'The size, readable'),
            'current' => new external_value(PARAM_BOOL,
                'False: a draft, which becomes the submission\'s video when the submission is saved'),
            'checksum_sha256' => new external_value(PARAM_RAW, 'The receipt: SHA-256 (base64) as storage reports it'),
            'checksum_type' => new external_value(PARAM_ALPHANUMEXT, '"full_object" or "composite" (multipart)'),
        ]);
    }
}
