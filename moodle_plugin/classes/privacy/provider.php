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

namespace assignsubmission_s3video\privacy;

use assignsubmission_s3video\actor;
use assignsubmission_s3video\local\media_facts;
use assignsubmission_s3video\sidecar_client;
use assignsubmission_s3video\sidecar_exception;
use core_privacy\local\metadata\collection;
use core_privacy\local\request\contextlist;
use core_privacy\local\request\transform;
use core_privacy\local\request\userlist;
use core_privacy\local\request\writer;
use mod_assign\privacy\assign_plugin_request_data;
use mod_assign\privacy\useridlist;

/**
 * Privacy provider: Moodle's record of each video, and the videos the sidecar holds.
 *
 * The videos live outside Moodle, so this is not a null provider: the sidecar is declared as an
 * external location, exports include what the sidecar holds about the user's submission, and
 * deletions are sent to the sidecar. If the sidecar cannot be reached the call throws, so that
 * Moodle never reports a deletion as done when the video is still stored.
 *
 * Users and contexts need no query of their own: every video belongs to an assign_submission,
 * which mod_assign's provider already finds.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class provider implements
        \core_privacy\local\metadata\provider,
        \mod_assign\privacy\assignsubmission_provider,
        \mod_assign\privacy\assignsubmission_user_provider {

    /** @var array The sidecar's export per user and assignment, within one request. */
    private static $exports = [];

    /**
     * What is stored, and where.
     *
     * @param collection $collection the collection to add to
     * @return collection
     */
    public static function get_metadata(collection $collection): collection {
        $collection->add_database_table('assignsubmission_s3video', [
            'submission' => 'privacy:metadata:table:submission',
            'filename' => 'privacy:metadata:table:filename',
            'filesize' => 'privacy:metadata:table:filesize',
            'mimetype' => 'privacy:metadata:table:mimetype',
            'checksum' => 'privacy:metadata:table:checksum',
            'timeconfirmed' => 'privacy:metadata:table:timeconfirmed',
            'timemodified' => 'privacy:metadata:table:timemodified',
        ], 'privacy:metadata:table');
        $collection->add_external_location_link('s3video_sidecar', [
            'user' => 'privacy:metadata:sidecar:user',
            'roles' => 'privacy:metadata:sidecar:roles',
            'course' => 'privacy:metadata:sidecar:course',
            'assignment' => 'privacy:metadata:sidecar:assignment',
            'submission' => 'privacy:metadata:sidecar:submission',
            'filename' => 'privacy:metadata:sidecar:filename',
            'video' => 'privacy:metadata:sidecar:video',
        ], 'privacy:metadata:sidecar');
        return $collection;
    }

    /**
     * Contexts come from mod_assign's query on assign_submission.
     *
     * @param int $userid user id
     * @param contextlist $contextlist the list to add to
     * @return void
     */
    public static function get_context_for_userid_within_submission(int $userid, contextlist $contextlist) {
    }

    /**
     * Students are found by mod_assign's queries.
     *
     * @param useridlist $useridlist the list to add to
     * @return void
     */
    public static function get_student_user_ids(useridlist $useridlist) {
    }

    /**
     * Users are found by mod_assign's query on assign_submission.
     *
     * @param userlist $userlist the list to add to
     * @return void
     */
    public static function get_userids_from_context(userlist $userlist) {
    }

    /**
     * Export the video of one submission: Moodle's record and what the sidecar holds.
     *
     * @param assign_plugin_request_data $exportdata the submission, context and path
     * @return void
     */
    public static function export_submission_user_data(assign_plugin_request_data $exportdata) {
        global $DB;
        if ($exportdata->get_user() !== null) {
            return; // A teacher's export: the students' videos are theirs, not the teacher's (as core's file plugin).
        }
        $submission = $exportdata->get_pluginobject();
        $video = $DB->get_record('assignsubmission_s3video', ['submission' => $submission->id]);
        if (!$video) {
            return;
        }
        // What the sidecar holds about this submission's video: its records (with a short-lived
        // download link) and the events of its log.
        $held = ['videos' => [], 'events' => []];
        if (!empty($submission->userid)) {
            $export = self::sidecar_export((int)$submission->userid, (int)$video->sidecarassignment);
            foreach (array_keys($held) as $kind) {
                foreach ($export[$kind] ?? [] as $item) {
                    if ((int)($item['submission_id'] ?? 0) === (int)$video->sidecarsubmission) {
                        $held[$kind][] = $item;
                    }
                }
            }
        }
        // The probe's facts of the submitted video, readable (the raw facts are in sidecar.videos[].media).
        $media = '';
        foreach ($held['videos'] as $item) {
            if (($item['s3_key'] ?? null) === $video->s3key) {
                $media = media_facts::summary(is_array($item['media'] ?? null) ? $item['media'] : null,
                    is_numeric($item['duration'] ?? null) ? (int)$item['duration'] : null);
                break;
            }
        }
        writer::with_context($exportdata->get_context())->export_data(
            array_merge($exportdata->get_subcontext(), [get_string('privacy:path', 'assignsubmission_s3video')]),
            (object)[
                'filename' => $video->filename,
                'filesize' => (int)$video->filesize,
                'mimetype' => $video->mimetype,
                'checksum_sha256' => (string)$video->checksum,
                'checksum_type' => (string)$video->checksumtype,
                'timeconfirmed' => $video->timeconfirmed ? transform::datetime($video->timeconfirmed) : '',
                'timecreated' => transform::datetime($video->timecreated),
                'timemodified' => transform::datetime($video->timemodified),
                'media' => $media,
                'sidecar' => $held,
            ]);
    }

    /**
     * Erase every user's videos and events in an assignment.
     *
     * A privacy erasure, not an ordinary delete: no grace period, and the events are anonymised.
     *
     * @param assign_plugin_request_data $requestdata the assignment and context
     * @return void
     */
    public static function delete_submission_for_context(assign_plugin_request_data $requestdata) {
        global $DB;
        $assign = $requestdata->get_assign();
        $assignmentid = (int)$assign->get_instance()->id;
        self::ignore_not_found(function() use ($assign, $assignmentid) {
            sidecar_client::from_config()->privacy_erase_assignment($assignmentid,
                actor::moodle((int)$assign->get_course()->id));
        });
        $DB->delete_records('assignsubmission_s3video', ['assignment' => $assignmentid]);
    }

    /**
     * Delete one user's video in an assignment.
     *
     * @param assign_plugin_request_data $deletedata the user, submission and assignment
     * @return void
     */
    public static function delete_submission_for_userid(assign_plugin_request_data $deletedata) {
        global $DB;
        self::erase($deletedata, [(int)$deletedata->get_user()->id]);
        $DB->delete_records('assignsubmission_s3video', ['submission' => $deletedata->get_pluginobject()->id]);
    }

    /**
     * Delete the videos of several users in an assignment.
     *
     * @param assign_plugin_request_data $deletedata the users, their submissions and the assignment
     * @return void
     */
    public static function delete_submissions(assign_plugin_request_data $deletedata) {
        global $DB;
        $userids = array_map('intval', $deletedata->get_userids() ?: []);
        if (!$userids) {
            return;
        }
        self::erase($deletedata, $userids);
        if ($submissionids = $deletedata->get_submissionids()) {
            $DB->delete_records_list('assignsubmission_s3video', 'submission', $submissionids);
        }
    }

    /**
     * Ask the sidecar to erase some users' data in the request's assignment.
     *
     * @param assign_plugin_request_data $data the request
     * @param int[] $userids users
     * @return void
     * @throws sidecar_exception when the sidecar did not do it
     */
    private static function erase(assign_plugin_request_data $data, array $userids): void {
        $assign = $data->get_assign();
        self::ignore_not_found(function() use ($assign, $userids) {
            sidecar_client::from_config()->privacy_erase_assignment_users((int)$assign->get_instance()->id, $userids,
                actor::moodle((int)$assign->get_course()->id));
        });
    }

    /**
     * Run a sidecar deletion; "not found" means there was nothing to delete.
     *
     * @param callable $call the deletion
     * @return void
     * @throws sidecar_exception for any other failure, so nothing is reported deleted that was not
     */
    private static function ignore_not_found(callable $call): void {
        try {
            $call();
        } catch (sidecar_exception $e) {
            if (!$e->is_not_found()) {
                throw $e;
            }
        }
    }

    /**
     * What the sidecar holds about a user in one assignment, fetched once per request.
     *
     * @param int $userid user id
     * @param int $assignmentid the assignment id the sidecar knows the video by
     * @return array
     */
    private static function sidecar_export(int $userid, int $assignmentid): array {
        $key = "{$userid}/{$assignmentid}";
        if (!array_key_exists($key, self::$exports)) {
            self::$exports[$key] = sidecar_client::from_config()->privacy_export_user($userid, actor::moodle(),
                $assignmentid);
        }
        return self::$exports[$key];
    }
}
