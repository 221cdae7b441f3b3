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
 * The S3 video submission plugin: one video per submission, uploaded straight to storage.
 *
 * Moodle keeps identity, permissions and a small record of each submission's video
 * (table assignsubmission_s3video, so that a grading table needs one network call, not one a row:
 * its posters and media details, local\media_cache); the s3video sidecar holds the video, its
 * metadata and the signed URLs. Every call to the sidecar goes through
 * {@see \assignsubmission_s3video\sidecar_client}.
 *
 * Moodle's submission model: what the form uploads is a draft (the sidecar keeps it ready but not
 * current); only save() makes it the submission's video, so Cancel leaves the submitted video as it
 * was and an abandoned draft expires on the sidecar. Moodle's table holds the current (saved) video
 * only, so emptiness and the summaries follow what was really submitted.
 *
 * Where a submission's video lives on the sidecar: at the submission's own assignment and submission
 * ids. A new attempt and a restored submission get their own copy there (C6 copy-from, which shares
 * the stored object). Records made by earlier versions of the plugin may still point at another
 * submission's video (sidecarassignment / sidecarsubmission); such a submission never deletes a
 * video it does not own.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

require_once(__DIR__ . '/compat.php');

use assignsubmission_s3video\actor;
use assignsubmission_s3video\local\limits;
use assignsubmission_s3video\local\media_cache;
use assignsubmission_s3video\local\media_facts;
use assignsubmission_s3video\sidecar_client;
use assignsubmission_s3video\sidecar_exception;
use core_external\external_value;

/**
 * The submission plugin class.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class assign_submission_s3video extends assign_submission_plugin {

    /** @var string Moodle's record of each submission's video. */
    const TABLE = 'assignsubmission_s3video';

    /** @var string Form field carrying the S3 key of the confirmed upload. */
    const FORMFIELD = 's3video_s3key';

    /** @var bool Whether the player module has been set up on this page. */
    private static $playerloaded = false;

    /**
     * The plugin's name.
     *
     * @return string
     */
    public function get_name() {
        return get_string('s3video', 'assignsubmission_s3video');
    }

    /**
     * The per-assignment settings: the maximum video size.
     *
     * @param MoodleQuickForm $mform the assignment settings form
     * @return void
     */
    public function get_settings(MoodleQuickForm $mform) {
        $sitemax = limits::site_max_bytes();
        $choices = [0 => get_string('sitedefault', 'assignsubmission_s3video', display_size($sitemax))]
            + limits::size_options($sitemax);
        $name = 'assignsubmission_s3video_maxbytes';
        $mform->addElement('select', $name, get_string('maxbytes', 'assignsubmission_s3video'), $choices);
        $mform->addHelpButton($name, 'maxbytes', 'assignsubmission_s3video');
        $mform->setDefault($name, $this->assignment->has_instance() ? (int)$this->get_config('maxbytes') : 0);
        $mform->hideIf($name, 'assignsubmission_s3video_enabled', 'notchecked');
    }

    /**
     * Save the per-assignment settings.
     *
     * @param stdClass $data the form data
     * @return bool
     */
    public function save_settings(stdClass $data) {
        $this->set_config('maxbytes', (int)($data->assignsubmission_s3video_maxbytes ?? 0));
        return true;
    }

    /**
     * The largest video this assignment accepts.
     *
     * @return int bytes
     */
    public function get_max_bytes(): int {
        $assignmentmax = $this->assignment->has_instance() ? (int)$this->get_config('maxbytes') : 0;
        $sitemax = limits::site_max_bytes();
        return $assignmentmax > 0 ? min($assignmentmax, $sitemax) : $sitemax;
    }

    /**
     * Refuse a file this assignment does not accept, before the sidecar is asked.
     *
     * @param int $size bytes
     * @param string $mimetype MIME type
     * @return void
     * @throws moodle_exception error:toolargeforassignment or error:typenotallowedforsite
     */
    public function check_file(int $size, string $mimetype): void {
        if ($size > $this->get_max_bytes()) {
            throw new moodle_exception('error:toolargeforassignment', 'assignsubmission_s3video', '',
                display_size($this->get_max_bytes()));
        }
        if (!in_array(strtolower($mimetype), limits::allowed_types(), true)) {
            throw new moodle_exception('error:typenotallowedforsite', 'assignsubmission_s3video', '',
                implode(', ', limits::allowed_types()));
        }
    }

    /**
     * Moodle's record of a submission's video, if it has one.
     *
     * @param int $submissionid assign_submission id
     * @return stdClass|null
     */
    public function get_video(int $submissionid): ?stdClass {
        global $DB;
        return $DB->get_record(self::TABLE, ['submission' => $submissionid]) ?: null;
    }

    /**
     * Where a submission's video lives on the sidecar.
     *
     * @param stdClass $submission assign_submission record
     * @return int[] [assignment id, submission id] on the sidecar
     */
    public function sidecar_location(stdClass $submission): array {
        $video = $this->get_video((int)$submission->id);
        if ($video && $video->sidecarsubmission) {
            return [(int)$video->sidecarassignment, (int)$video->sidecarsubmission];
        }
        return [(int)$this->assignment->get_instance()->id, (int)$submission->id];
    }

    /**
     * The actor for a call about a submission: its own student when they are the one acting, else
     * Moodle itself (for work Moodle has already authorised, such as a teacher removing a submission).
     *
     * @param stdClass $submission assign_submission record
     * @return actor
     */
    private function actor_for(stdClass $submission): actor {
        global $USER;
        $courseid = (int)$this->assignment->get_course()->id;
        if (!empty($submission->userid) && (int)$submission->userid === (int)$USER->id) {
            return actor::for_user_in_context($this->assignment->get_context(), $courseid);
        }
        if (empty($submission->userid) && isset($submission->groupid)) {
            $group = $this->assignment->get_submission_group($USER->id);
            if ((int)($group ? $group->id : 0) === (int)$submission->groupid
                    && has_capability('mod/assign:submit', $this->assignment->get_context())) {
                return actor::for_user_in_context($this->assignment->get_context(), $courseid, $submission);
            }
        }
        return actor::moodle($courseid);
    }

    /**
     * A ready video as the sidecar describes it (confirm, complete, current, or a submission's video),
     * as Moodle's record holds it.
     *
     * @param array $described the sidecar's description of the video
     * @return stdClass the record's fields (not saved)
     * @throws moodle_exception when it is not a ready video
     */
    public static function describe_video(array $described): stdClass {
        if (($described['status'] ?? '') !== 'ready' || empty($described['s3_key'])) {
            throw new moodle_exception('upload:notconfirmed', 'assignsubmission_s3video');
        }
        $s3key = (string)$described['s3_key'];
        return (object)[
            'sidecarvideo' => (int)($described['video_id'] ?? 0),
            's3key' => core_text::substr($s3key, 0, 1024),
            // The key ends in the sidecar's sanitised file name (videos/{user}/{time}_{random}/{name}).
            // Not basename(): it depends on the locale and can cut multibyte names.
            'filename' => core_text::substr(substr(strrchr('/' . $s3key, '/'), 1), 0, 255),
            'mimetype' => core_text::substr((string)($described['mime_type'] ?? ''), 0, 100),
            'filesize' => (int)($described['file_size'] ?? 0),
            'checksum' => substr((string)($described['checksum_sha256'] ?? ''), 0, 64),
            'checksumtype' => substr((string)($described['checksum_type'] ?? ''), 0, 16),
            'timeconfirmed' => (int)($described['confirmed_at'] ?? 0),
        ];
    }

    /**
     * Check a video the student has just uploaded (a draft) against this assignment.
     *
     * @param array $confirmed the sidecar's confirm or complete answer
     * @return stdClass the record's fields (not saved)
     * @throws moodle_exception when it is not ready, or larger than this assignment allows (the
     *     sidecar only knows the site-wide limit; only a browser that declared a smaller size than it
     *     sent gets here, and the draft then expires unused)
     */
    public function check_confirmed(array $confirmed): stdClass {
        $video = self::describe_video($confirmed);
        if ($video->filesize > $this->get_max_bytes()) {
            throw new moodle_exception('error:toolargeforassignment', 'assignsubmission_s3video', '',
                display_size($this->get_max_bytes()));
        }
        return $video;
    }

    /**
     * Record the video the sidecar has just made this submission's current one.
     *
     * @param stdClass $submission assign_submission record
     * @param array $current the sidecar's answer (C3 current, or the video of a C6 copy)
     * @return stdClass the record
     */
    public function record_current(stdClass $submission, array $current): stdClass {
        return self::store_current((int)$this->assignment->get_instance()->id, (int)$submission->id, $current);
    }

    /**
     * Moodle's record of a submission's current video, as the sidecar describes it (inserted or updated).
     *
     * @param int $assignmentid assign instance id
     * @param int $submissionid assign_submission id
     * @param array $described the sidecar's description of the ready, current video
     * @return stdClass the record
     */
    public static function store_current(int $assignmentid, int $submissionid, array $described): stdClass {
        global $DB;
        $now = time();
        $video = $DB->get_record(self::TABLE, ['submission' => $submissionid]) ?: (object)[
            'assignment' => $assignmentid,
            'submission' => $submissionid,
            'timecreated' => $now,
        ];
        foreach ((array)self::describe_video($described) as $name => $value) {
            $video->$name = $value;
        }
        $video->sidecarassignment = $assignmentid;
        $video->sidecarsubmission = $submissionid;
        $video->timemodified = $now;
        if (empty($video->id)) {
            $video->id = $DB->insert_record(self::TABLE, $video);
        } else {
            $DB->update_record(self::TABLE, $video);
        }
        return $video;
    }

    /**
     * The sidecar deleted a video (an administrator's Delete in video management): Moodle forgets it
     * wherever it is the recorded video, so the student and the teacher no longer see it.
     *
     * @param array $described the sidecar's description of the deleted video (assignment_id,
     *     submission_id, s3_key)
     * @return int how many records were removed
     */
    public static function forget_deleted(array $described): int {
        global $DB;
        $conditions = [
            'sidecarassignment' => (int)($described['assignment_id'] ?? 0),
            'sidecarsubmission' => (int)($described['submission_id'] ?? 0),
            's3key' => (string)($described['s3_key'] ?? ''),
        ];
        $count = $DB->count_records(self::TABLE, $conditions);
        $DB->delete_records(self::TABLE, $conditions);
        return $count;
    }

    /**
     * The sidecar restored a video as its submission's current one (video management's Restore): Moodle
     * records it again, if that submission still exists in Moodle.
     *
     * @param array $described the sidecar's description of the restored video
     * @return bool whether Moodle's record was made
     */
    public static function remember_restored(array $described): bool {
        global $DB;
        $assignmentid = (int)($described['assignment_id'] ?? 0);
        $submissionid = (int)($described['submission_id'] ?? 0);
        if (empty($described['current'])
                || !$DB->record_exists('assign_submission', ['id' => $submissionid, 'assignment' => $assignmentid])) {
            return false;
        }
        self::store_current($assignmentid, $submissionid, $described);
        return true;
    }

    /**
     * The upload widget, for the student whose submission it is.
     *
     * @param mixed $submission stdClass|null
     * @param MoodleQuickForm $mform the submission form
     * @param stdClass $data the form data
     * @param int $userid the user whose submission is edited
     * @return bool
     */
    public function get_form_elements_for_user($submission, MoodleQuickForm $mform, stdClass $data, $userid) {
        global $OUTPUT, $PAGE, $USER;
        $video = $submission ? $this->get_video((int)$submission->id) : null;
        if ((int)$userid !== (int)$USER->id) {
            // The sidecar lets only the student upload to their submission.
            $mform->addElement('static', 's3video_notowner', $this->get_name(),
                get_string('upload:notowner', 'assignsubmission_s3video'));
            return true;
        }

        $uniqid = html_writer::random_id('assignsubmission_s3video_');
        $types = limits::allowed_types();
        $context = [
            'uniqid' => $uniqid,
            'accept' => implode(',', $types),
            'limits' => get_string('upload:limits', 'assignsubmission_s3video', (object)[
                'maxsize' => display_size($this->get_max_bytes()),
                'types' => implode(', ', $types),
            ]),
            'hascurrent' => (bool)$video,
            'current' => $video ? get_string('upload:current', 'assignsubmission_s3video', (object)[
                'filename' => $video->filename,
                'size' => display_size((int)$video->filesize),
            ]) : '',
            'receipt' => $video ? $this->receipt_text($video) : '',
            // "Require students to click the submit button": saving is not yet handing in.
            'requiresubmit' => !empty($this->assignment->get_instance()->submissiondrafts),
        ];
        $mform->addElement('static', 's3video_widget', $this->get_name(),
            $OUTPUT->render_from_template('assignsubmission_s3video/upload_form', $context));
        $mform->addElement('hidden', self::FORMFIELD, $video ? $video->s3key : '');
        $mform->setType(self::FORMFIELD, PARAM_RAW_TRIMMED);

        $PAGE->requires->js_call_amd('assignsubmission_s3video/uploader', 'init', [[
            'root' => '#' . $uniqid,
            'field' => self::FORMFIELD,
            'assignmentid' => (int)$this->assignment->get_instance()->id,
            'maxbytes' => $this->get_max_bytes(),
            'maxsize' => display_size($this->get_max_bytes()),
            'types' => $types,
            'partsinflight' => max(1, (int)get_config('assignsubmission_s3video', 'partsinflight') ?: 4),
        ]]);
        return true;
    }

    /**
     * Save the submission: the draft the form uploaded becomes the submission's video (C3), then
     * Moodle is told (plagiarism plugins, logs) as the file submission plugin does.
     *
     * The form carries the draft's storage key. Confirming it again (idempotent, C2) proves it is this
     * submission's upload and gives its id; making it current sends the previously submitted video and
     * any other draft to deletion. Without a new key nothing changes.
     *
     * @param stdClass $submission assign_submission record
     * @param stdClass $data the form data
     * @return bool
     */
    public function save(stdClass $submission, stdClass $data) {
        $s3key = trim((string)($data->{self::FORMFIELD} ?? ''));
        $video = $this->get_video((int)$submission->id);
        if ($s3key !== '' && (!$video || $video->s3key !== $s3key)) {
            try {
                $actor = $this->actor_for($submission);
                $client = sidecar_client::from_config();
                [$assignmentid, $submissionid] = [(int)$this->assignment->get_instance()->id, (int)$submission->id];
                $draft = $this->check_confirmed($client->confirm_upload($assignmentid, $submissionid, $actor, $s3key,
                    true));
                $current = $client->make_current($assignmentid, $submissionid, $actor, $draft->sidecarvideo);
                $video = $this->record_current($submission, $current);
            } catch (moodle_exception $e) {
                $this->set_error($e->getMessage());
                return false;
            }
        }
        if ($video) {
            $this->trigger_events($submission, $video);
        }
        return true;
    }

    /**
     * Trigger assessable_uploaded and submission_created or submission_updated, as core's file plugin does.
     *
     * The video counts as created when it was recorded after the submission was last saved.
     *
     * @param stdClass $submission assign_submission record
     * @param stdClass $video the video record
     * @return void
     */
    private function trigger_events(stdClass $submission, stdClass $video): void {
        global $DB, $USER;
        $params = [
            'context' => $this->assignment->get_context(),
            'courseid' => $this->assignment->get_course()->id,
            'objectid' => $submission->id,
            'other' => ['content' => '', 'pathnamehashes' => []],
        ];
        if (!empty($submission->userid) && $submission->userid != $USER->id) {
            $params['relateduserid'] = $submission->userid;
        }
        if ($this->assignment->is_blind_marking()) {
            $params['anonymous'] = 1;
        }
        \assignsubmission_s3video\event\assessable_uploaded::create($params)->trigger();

        $groupid = 0;
        $groupname = null;
        if (empty($submission->userid) && !empty($submission->groupid)) {
            $groupid = (int)$submission->groupid;
            $groupname = $DB->get_field('groups', 'name', ['id' => $groupid], MUST_EXIST);
        } else {
            $params['relateduserid'] = $submission->userid;
        }
        $params['objectid'] = $video->id;
        $params['other'] = [
            'submissionid' => $submission->id,
            'submissionattempt' => $submission->attemptnumber,
            'submissionstatus' => $submission->status,
            'filesize' => (int)$video->filesize,
            'groupid' => $groupid,
            'groupname' => $groupname,
        ];
        if ((int)$video->timecreated >= (int)$submission->timemodified) {
            $event = \assignsubmission_s3video\event\submission_created::create($params);
        } else {
            $event = \assignsubmission_s3video\event\submission_updated::create($params);
        }
        $event->set_assign($this->assignment);
        $event->trigger();
    }

    /**
     * The player markup for a submission's video.
     *
     * @param stdClass $submission assign_submission record
     * @param stdClass $video the video record
     * @return string HTML
     */
    private function render_player(stdClass $submission, stdClass $video): string {
        global $OUTPUT, $PAGE;
        if (!self::$playerloaded) {
            $PAGE->requires->js_call_amd('assignsubmission_s3video/player', 'init', [[
                'refreshseconds' => (int)get_config('assignsubmission_s3video', 'playbackexpiry'),
                'usevideojs' => self::videojs_enabled(),
            ]]);
            self::$playerloaded = true;
        }
        $copied = (int)$video->sidecarsubmission !== (int)$submission->id;
        return $OUTPUT->render_from_template('assignsubmission_s3video/player', [
            'uniqid' => html_writer::random_id('assignsubmission_s3video_player_'),
            'assignmentid' => (int)$this->assignment->get_instance()->id,
            'submissionid' => (int)$submission->id,
            'mimetype' => $video->mimetype,
            'summary' => $this->summary_text($video),
            'receipt' => $this->receipt_text($video),
            'autoload' => false, // Nothing is fetched (nor a view counted) until Play is pressed.
            'copied' => $copied,
        ] + self::media_context(media_cache::for_video($this->assignment, $submission, $video), $video));
    }

    /**
     * The poster thumbnail and the media details of a video, for the player template.
     *
     * @param array|null $entry the sidecar's entry (media_cache), or null when it could not say
     * @param stdClass $video Moodle's record of the video
     * @return array thumbnail, thumbnailalt, media, mediawarning, mediapending
     */
    public static function media_context(?array $entry, stdClass $video): array {
        $context = ['thumbnail' => '', 'thumbnailalt' => '', 'media' => '', 'mediawarning' => '',
            'mediapending' => false];
        if ($entry === null) {
            return $context;
        }
        if ($entry['poster_url'] !== '') {
            $context['thumbnail'] = $entry['poster_url'];
            $context['thumbnailalt'] = get_string('media:posteralt', 'assignsubmission_s3video', $video->filename);
        }
        $context['media'] = media_facts::summary($entry['media'], $entry['duration']);
        $context['mediawarning'] = media_facts::warning($entry['media']);
        if ($entry['status'] === 'error' && $context['mediawarning'] === '' && $entry['error'] !== '') {
            $context['mediawarning'] = get_string('media:unplayable', 'assignsubmission_s3video',
                core_text::substr($entry['error'], 0, 300));
        }
        $context['mediapending'] = $entry['status'] === 'ready' && $entry['media'] === null;
        return $context;
    }

    /**
     * Whether Moodle's Video.js media player is enabled (an administrator can disable it).
     *
     * @return bool
     */
    private static function videojs_enabled(): bool {
        $enabled = \core\plugininfo\media::get_enabled_plugins();
        return is_array($enabled) && array_key_exists('videojs', $enabled);
    }

    /**
     * File name and size of a video.
     *
     * @param stdClass $video the video record
     * @return string
     */
    private function summary_text(stdClass $video): string {
        return get_string('summary', 'assignsubmission_s3video', (object)[
            'filename' => $video->filename,
            'size' => display_size((int)$video->filesize),
        ]);
    }

    /**
     * The submission receipt: the video's SHA-256 as storage computed it, how, its size and when it was
     * confirmed (C1). Empty for a video recorded before the sidecar gave receipts.
     *
     * @param stdClass $video the video record
     * @return string
     */
    public function receipt_text(stdClass $video): string {
        if (empty($video->checksum)) {
            return '';
        }
        return get_string('receipt', 'assignsubmission_s3video', (object)[
            'checksum' => $video->checksum,
            'type' => self::receipt_type((string)$video->checksumtype),
            'size' => display_size((int)$video->filesize),
            'bytes' => number_format((int)$video->filesize, 0, '', ' '),
            'time' => $video->timeconfirmed ? userdate((int)$video->timeconfirmed) : '-',
        ]);
    }

    /**
     * What a receipt's checksum is computed over, readable.
     *
     * @param string $type the sidecar's checksum_type
     * @return string
     */
    private static function receipt_type(string $type): string {
        if ($type === 'composite') {
            return get_string('receipt:composite', 'assignsubmission_s3video');
        }
        if ($type === 'full_object') {
            return get_string('receipt:fullobject', 'assignsubmission_s3video');
        }
        return get_string('receipt:unknown', 'assignsubmission_s3video');
    }

    /**
     * The summary in the submission status and grading tables: name, size, receipt and a play button
     * that fetches the signed URL only when pressed.
     *
     * The summary is the whole player, so Moodle is not asked to offer the full view: it would render
     * view() in a hidden box on the same page.
     *
     * @param stdClass $submission assign_submission record
     * @param bool $showviewlink set to false: nothing more to show
     * @return string HTML
     */
    public function view_summary(stdClass $submission, & $showviewlink) {
        $showviewlink = false;
        $video = $this->get_video((int)$submission->id);
        if (!$video) {
            return get_string('novideo', 'assignsubmission_s3video');
        }
        return $this->render_player($submission, $video);
    }

    /**
     * The full view: the player, which also asks for the video only when Play is pressed.
     *
     * @param stdClass $submission assign_submission record
     * @return string HTML
     */
    public function view(stdClass $submission) {
        $video = $this->get_video((int)$submission->id);
        if (!$video) {
            return get_string('novideo', 'assignsubmission_s3video');
        }
        return $this->render_player($submission, $video);
    }

    /**
     * Plain text and HTML summaries for notification messages.
     *
     * @param stdClass $submission assign_submission record
     * @return string[] [text, html]
     */
    public function submission_summary_for_messages(stdClass $submission): array {
        $video = $this->get_video((int)$submission->id);
        if (!$video) {
            return ['', ''];
        }
        $text = get_string('messagesummary', 'assignsubmission_s3video', (object)[
            'filename' => $video->filename,
            'size' => display_size((int)$video->filesize),
        ]);
        return [$text . "\n", html_writer::tag('p', s($text))];
    }

    /**
     * Text for the legacy log (Moodle 4.1 and 4.2 only; see compat.php).
     *
     * Moodle 4.3 to 4.5 declare the parent method without parameters (it throws if called) and 5.0
     * removed it, so the submission is optional here: one signature compatible with every version.
     *
     * @param stdClass|null $submission assign_submission record
     * @return string
     */
    public function format_for_log(?stdClass $submission = null) {
        if ($submission === null) {
            return '';
        }
        $video = $this->get_video((int)$submission->id);
        if (!$video) {
            return get_string('novideo', 'assignsubmission_s3video');
        }
        return get_string('logsummary', 'assignsubmission_s3video', (object)[
            'filename' => $video->filename,
            'size' => display_size((int)$video->filesize),
            'mimetype' => $video->mimetype,
        ]);
    }

    /**
     * Whether the submission has no video.
     *
     * @param stdClass $submission assign_submission record
     * @return bool
     */
    public function is_empty(stdClass $submission) {
        return $this->get_video((int)$submission->id) === null;
    }

    /**
     * Whether the submitted form carries no video (neither a new upload nor the current one).
     *
     * @param stdClass $data the form data
     * @return bool
     */
    public function submission_is_empty(stdClass $data) {
        return trim((string)($data->{self::FORMFIELD} ?? '')) === '';
    }

    /**
     * Remove the submission's video: the sidecar schedules its deletion (only when this submission owns
     * it, not when it points at an earlier attempt's), then Moodle forgets it.
     *
     * @param stdClass $submission assign_submission record
     * @return bool
     */
    public function remove(stdClass $submission) {
        global $DB;
        [$assignmentid, $submissionid] = $this->sidecar_location($submission);
        if ($submissionid === (int)$submission->id) {
            try {
                sidecar_client::from_config()->delete_submission($assignmentid, $submissionid,
                    $this->actor_for($submission));
            } catch (sidecar_exception $e) {
                if (!$e->is_not_found()) {
                    $this->set_error($e->getMessage());
                    return false;
                }
            }
        }
        $DB->delete_records(self::TABLE, ['submission' => $submission->id]);
        return true;
    }

    /**
     * The assignment is deleted (or its submissions reset): the sidecar schedules all its videos for
     * deletion, kept restorable as long as Moodle's recycle bin can bring the activity (or its course)
     * back (C5): a restore from the bin copies them into the restored activity (see the restore
     * subplugin).
     *
     * If the sidecar cannot be reached now, an ad hoc task retries until it can, so no video is
     * left behind in storage.
     *
     * @return bool
     */
    public function delete_instance() {
        global $DB;
        $assignmentid = (int)$this->assignment->get_instance()->id;
        $courseid = (int)$this->assignment->get_course()->id;
        \assignsubmission_s3video\task\delete_assignment_videos::run_or_queue($assignmentid, $courseid,
            time() + \assignsubmission_s3video\local\recycle_bin::retain_seconds());
        $DB->delete_records(self::TABLE, ['assignment' => $assignmentid]);
        return true;
    }

    /**
     * A new attempt based on the previous one: the sidecar gives the new submission its own current
     * video sharing the previous attempt's stored object (C6), so each attempt keeps its own video.
     *
     * @param stdClass $sourcesubmission the previous attempt
     * @param stdClass $destsubmission the new attempt
     * @return bool
     */
    public function copy_submission(stdClass $sourcesubmission, stdClass $destsubmission) {
        $video = $this->get_video((int)$sourcesubmission->id);
        if (!$video) {
            return true;
        }
        [$assignmentid, $submissionid] = $this->sidecar_location($sourcesubmission);
        try {
            $this->copy_video_from($destsubmission, $assignmentid, $submissionid);
        } catch (moodle_exception $e) {
            $this->set_error($e->getMessage());
            return false;
        }
        return true;
    }

    /**
     * Give a submission of this assignment its own current video on the sidecar, sharing another
     * submission's stored object (C6: a new attempt, a restore, a course copy or import), and record it.
     *
     * Moodle has already decided this (the restore or the new attempt), so the call is made as the site
     * (role admin) for this assignment's course.
     *
     * @param stdClass $submission the target assign_submission record (of this assignment)
     * @param int $sourceassignment the sidecar assignment id of the source
     * @param int $sourcesubmission the sidecar submission id of the source
     * @return stdClass|null Moodle's record, or null when the source has no video any more
     * @throws sidecar_exception when the sidecar refuses or cannot be reached
     */
    public function copy_video_from(stdClass $submission, int $sourceassignment, int $sourcesubmission): ?stdClass {
        $courseid = (int)$this->assignment->get_course()->id;
        $ownerid = (int)($submission->userid ?? 0);
        $groupid = actor::team_group($submission);
        if ($ownerid <= 0) {
            // A team submission: the sidecar records an owner; the group's first member, else the site.
            $members = $groupid ? groups_get_members($groupid, 'u.id', 'u.id ASC') : [];
            $ownerid = $members ? (int)reset($members)->id : (int)get_admin()->id;
        }
        try {
            $answer = sidecar_client::from_config()->copy_from((int)$this->assignment->get_instance()->id,
                (int)$submission->id, actor::moodle($courseid), $sourceassignment, $sourcesubmission, $ownerid, $groupid);
        } catch (sidecar_exception $e) {
            if ($e->is_not_found()) {
                return null;
            }
            throw $e;
        }
        if (empty($answer['video'])) {
            return null;
        }
        return $this->record_current($submission, $answer['video']);
    }

    /**
     * Web service parameter for save_submission: the S3 key of a confirmed upload.
     *
     * @return array
     */
    public function get_external_parameters() {
        return [
            self::FORMFIELD => new external_value(PARAM_RAW_TRIMMED,
                'The S3 key of a video uploaded and confirmed with assignsubmission_s3video_confirm_upload.',
                VALUE_OPTIONAL),
        ];
    }

    /**
     * The settings the mobile app and web services see.
     *
     * @return array
     */
    public function get_config_for_external() {
        return [
            'maxbytes' => $this->get_max_bytes(),
            'allowedtypes' => implode(',', limits::allowed_types()),
        ];
    }
}
