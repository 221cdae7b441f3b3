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

namespace assignsubmission_s3video;

defined('MOODLE_INTERNAL') || die();

global $CFG;
require_once($CFG->dirroot . '/mod/assign/locallib.php');
require_once(__DIR__ . '/fixtures/fake_sidecar.php');

/**
 * The submission plugin inside Moodle: Moodle's submission model (drafts until saved, Cancel keeps
 * the submitted video), closed submissions refused, the recycle bin's retention, and Moodle's record
 * following deletes started on the sidecar.
 *
 * The sidecar is {@see fake_sidecar}; the client's calls against the real one are tested in the
 * project's tests/php.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \assign_submission_s3video
 * @covers     \assignsubmission_s3video\external\base
 * @covers     \assignsubmission_s3video\local\recycle_bin
 */
final class locallib_test extends \advanced_testcase {

    /** @var fake_sidecar */
    private $sidecar;

    /**
     * A configured plugin talking to the fake sidecar.
     */
    protected function setUp(): void {
        parent::setUp();
        $this->resetAfterTest();
        set_config('sidecarurl', 'http://sidecar.test', 'assignsubmission_s3video');
        set_config('keyid', 'moodle', 'assignsubmission_s3video');
        set_config('secret', 'a-test-secret-of-32-characters!!', 'assignsubmission_s3video');
        $this->sidecar = new fake_sidecar();
        sidecar_client::$testtransport = $this->sidecar;
    }

    /**
     * Forget the fake.
     */
    protected function tearDown(): void {
        sidecar_client::$testtransport = null;
        parent::tearDown();
    }

    /**
     * A course, a student and an assignment with video submissions.
     *
     * @param array $settings assign settings
     * @return array [\assign, \stdClass student]
     */
    private function assignment(array $settings = []): array {
        $course = $this->getDataGenerator()->create_course();
        $student = $this->getDataGenerator()->create_and_enrol($course, 'student');
        $instance = $this->getDataGenerator()->create_module('assign', $settings + [
            'course' => $course->id,
            'assignsubmission_s3video_enabled' => 1,
            'assignsubmission_onlinetext_enabled' => 0,
            'assignsubmission_file_enabled' => 0,
        ]);
        $cm = get_coursemodule_from_instance('assign', $instance->id);
        return [new \assign(\context_module::instance($cm->id), $cm, $course), $student];
    }

    /**
     * The plugin of an assignment.
     *
     * @param \assign $assign the assignment
     * @return \assign_submission_s3video
     */
    private static function plugin(\assign $assign): \assign_submission_s3video {
        return $assign->get_submission_plugin_by_type('s3video');
    }

    /**
     * An uploaded draft is not the submission's video; save() makes it current on the sidecar and in
     * Moodle's record, with its receipt; the summary then shows it without asking Moodle for a hidden
     * full view.
     */
    public function test_draft_becomes_the_video_only_when_saved(): void {
        [$assign, $student] = $this->assignment();
        $this->setUser($student);
        $submission = $assign->get_user_submission($student->id, true);
        $plugin = self::plugin($assign);
        $key = $this->sidecar->add_upload((int)$assign->get_instance()->id, (int)$submission->id, 'talk.mp4', 5000);

        $confirmed = external\confirm_upload::execute((int)$assign->get_instance()->id, $key);
        $this->assertFalse($confirmed['current']);
        $this->assertTrue($plugin->is_empty($submission), 'a never-saved submission has no video');
        $this->assertSame(['', ''], $plugin->submission_summary_for_messages($submission));
        $this->assertTrue($this->sidecar->requests_to('/confirm')[0]['body']['draft']);

        $this->assertTrue($plugin->save($submission, (object)[\assign_submission_s3video::FORMFIELD => $key]));
        $this->assertFalse($plugin->is_empty($submission));
        $made = $this->sidecar->requests_to('/current');
        $this->assertCount(1, $made);
        $draftid = array_search($key, array_column($this->sidecar->videos, 's3_key', 'video_id'), true);
        $this->assertSame(['video_id' => $draftid], $made[0]['body']);
        $video = $plugin->get_video((int)$submission->id);
        $this->assertSame('talk.mp4', $video->filename);
        $this->assertSame('full_object', $video->checksumtype);
        $this->assertNotEmpty($video->checksum);

        $showviewlink = true;
        $html = $plugin->view_summary($submission, $showviewlink);
        $this->assertFalse($showviewlink);
        $this->assertStringContainsString('data-autoload="0"', $html);
        $this->assertStringContainsString($video->checksum, $html);
    }

    /**
     * Cancel: a second upload confirmed but never saved leaves the submitted video as it was.
     */
    public function test_unsaved_upload_leaves_submitted_video(): void {
        [$assign, $student] = $this->assignment();
        $this->setUser($student);
        $submission = $assign->get_user_submission($student->id, true);
        $plugin = self::plugin($assign);
        $a = (int)$assign->get_instance()->id;
        $first = $this->sidecar->add_upload($a, (int)$submission->id, 'first.mp4', 100);
        $plugin->save($submission, (object)[\assign_submission_s3video::FORMFIELD => $first]);

        $second = $this->sidecar->add_upload($a, (int)$submission->id, 'second.mp4', 200);
        external\confirm_upload::execute($a, $second);
        $this->assertSame($first, $plugin->get_video((int)$submission->id)->s3key);
        $this->assertCount(1, $this->sidecar->requests_to('/current'));
        // Saving the form unchanged (the hidden field still holds the submitted key) calls nothing.
        $plugin->save($submission, (object)[\assign_submission_s3video::FORMFIELD => $first]);
        $this->assertCount(1, $this->sidecar->requests_to('/current'));
    }

    /**
     * "Require students to click the submit button": once submitted, no new upload is accepted, and
     * the message says why.
     */
    public function test_upload_refused_after_submit_for_grading(): void {
        [$assign, $student] = $this->assignment(['submissiondrafts' => 1]);
        $this->setUser($student);
        $submission = $assign->get_user_submission($student->id, true);
        $submission->status = ASSIGN_SUBMISSION_STATUS_SUBMITTED;
        $GLOBALS['DB']->update_record('assign_submission', $submission);
        try {
            external\get_upload_url::execute((int)$assign->get_instance()->id, 'a.mp4', 100, 'video/mp4');
            $this->fail('upload accepted on a submitted submission');
        } catch (\moodle_exception $e) {
            $this->assertSame('error:closed:submitted', $e->errorcode);
        }
        $this->assertSame([], $this->sidecar->requests);
    }

    /**
     * Past the cut-off date: refused, naming the date.
     */
    public function test_upload_refused_after_cutoff(): void {
        [$assign, $student] = $this->assignment(['duedate' => time() - 7200, 'cutoffdate' => time() - 3600]);
        $this->setUser($student);
        try {
            external\get_upload_url::execute((int)$assign->get_instance()->id, 'a.mp4', 100, 'video/mp4');
            $this->fail('upload accepted after the cut-off date');
        } catch (\moodle_exception $e) {
            $this->assertSame('error:closed:cutoff', $e->errorcode);
        }
    }

    /**
     * Deleting the assignment keeps its videos restorable as long as the recycle bin keeps it.
     */
    public function test_delete_instance_keeps_videos_for_the_recycle_bin(): void {
        [$assign] = $this->assignment();
        $this->setAdminUser();
        set_config('coursebinenable', 1, 'tool_recyclebin');
        set_config('coursebinexpiry', 2 * WEEKSECS, 'tool_recyclebin');
        set_config('categorybinenable', 0, 'tool_recyclebin');
        self::plugin($assign)->delete_instance();
        $deletes = array_values(array_filter($this->sidecar->requests, function(array $request): bool {
            return $request['method'] === 'DELETE';
        }));
        $this->assertCount(1, $deletes);
        $this->assertEqualsWithDelta(2 * WEEKSECS + DAYSECS, (int)$deletes[0]['query']['retain_seconds'], 5);

        set_config('coursebinenable', 0, 'tool_recyclebin');
        $this->assertSame(0, local\recycle_bin::retain_seconds());
        set_config('categorybinenable', 1, 'tool_recyclebin');
        set_config('categorybinexpiry', 0, 'tool_recyclebin');
        $this->assertSame(local\recycle_bin::MAX_RETAIN_SECONDS, local\recycle_bin::retain_seconds());
    }

    /**
     * A new attempt gets its own copy on the sidecar (C6), and a video deleted by an administrator on
     * the sidecar disappears from Moodle's record.
     */
    public function test_copy_and_admin_delete_keep_moodle_in_step(): void {
        [$assign, $student] = $this->assignment();
        $this->setUser($student);
        $a = (int)$assign->get_instance()->id;
        $submission = $assign->get_user_submission($student->id, true);
        $plugin = self::plugin($assign);
        $plugin->save($submission, (object)[\assign_submission_s3video::FORMFIELD =>
            $this->sidecar->add_upload($a, (int)$submission->id, 'one.mp4', 100)]);

        $next = $assign->get_user_submission($student->id, true, 1);
        $this->assertTrue($plugin->copy_submission($submission, $next));
        $copy = $plugin->get_video((int)$next->id);
        $this->assertSame([$a, (int)$next->id], [(int)$copy->sidecarassignment, (int)$copy->sidecarsubmission]);
        $request = $this->sidecar->requests_to('/copy-from')[0];
        $this->assertSame(['assignment_id' => $a, 'submission_id' => (int)$submission->id,
            'user_id' => (int)$student->id], $request['body']);
        $this->assertSame(['admin'], $request['actor']['roles']);

        $described = $this->sidecar->videos[(int)$copy->sidecarvideo];
        $this->assertSame(1, \assign_submission_s3video::forget_deleted($described));
        $this->assertNull($plugin->get_video((int)$next->id));
        $this->assertNotNull($plugin->get_video((int)$submission->id));
    }

    /**
     * The connection check uses /health and the signed no-op /whoami, and nothing else.
     */
    public function test_connection_check_uses_health_and_whoami(): void {
        $this->setAdminUser();
        [$ok] = local\connection_check::run(sidecar_client::from_config());
        $this->assertTrue($ok);
        $this->assertSame(['/health', '/whoami'], array_column($this->sidecar->requests, 'path'));
    }
}
