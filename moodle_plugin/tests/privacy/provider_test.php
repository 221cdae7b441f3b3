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

defined('MOODLE_INTERNAL') || die();

global $CFG;
require_once($CFG->dirroot . '/mod/assign/locallib.php');
require_once(__DIR__ . '/../fixtures/fake_sidecar.php');

use assignsubmission_s3video\fake_sidecar;
use assignsubmission_s3video\sidecar_client;
use core_privacy\local\metadata\collection;
use mod_assign\privacy\assign_plugin_request_data;

/**
 * The privacy provider: what it declares, and that a user's deletion reaches the sidecar and
 * Moodle's record.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \assignsubmission_s3video\privacy\provider
 */
final class provider_test extends \advanced_testcase {

    /**
     * The table and the sidecar are declared, with every field Moodle sends or keeps.
     */
    public function test_metadata(): void {
        $items = provider::get_metadata(new collection('assignsubmission_s3video'))->get_collection();
        $byname = [];
        foreach ($items as $item) {
            $byname[$item->get_name()] = array_keys($item->get_privacy_fields());
        }
        $this->assertEqualsCanonicalizing(['submission', 'filename', 'filesize', 'mimetype', 'checksum', 'timeconfirmed',
            'timemodified'], $byname['assignsubmission_s3video']);
        $this->assertContains('user', $byname['s3video_sidecar']);
        $this->assertContains('video', $byname['s3video_sidecar']);
    }

    /**
     * Deleting one user's submission data asks the sidecar to erase them in that assignment and
     * removes Moodle's record.
     */
    public function test_delete_submission_for_userid(): void {
        global $DB;
        $this->resetAfterTest();
        set_config('sidecarurl', 'http://sidecar.test', 'assignsubmission_s3video');
        set_config('keyid', 'moodle', 'assignsubmission_s3video');
        set_config('secret', 'a-test-secret-of-32-characters!!', 'assignsubmission_s3video');
        $sidecar = new fake_sidecar();
        sidecar_client::$testtransport = $sidecar;
        try {
            $course = $this->getDataGenerator()->create_course();
            $student = $this->getDataGenerator()->create_and_enrol($course, 'student');
            $instance = $this->getDataGenerator()->create_module('assign', ['course' => $course->id,
                'assignsubmission_s3video_enabled' => 1]);
            $cm = get_coursemodule_from_instance('assign', $instance->id);
            $context = \context_module::instance($cm->id);
            $assign = new \assign($context, $cm, $course);
            $this->setUser($student);
            $submission = $assign->get_user_submission($student->id, true);
            $plugin = $assign->get_submission_plugin_by_type('s3video');
            $plugin->save($submission, (object)[\assign_submission_s3video::FORMFIELD =>
                $sidecar->add_upload((int)$instance->id, (int)$submission->id, 'me.mp4', 10)]);
            $this->assertTrue($DB->record_exists('assignsubmission_s3video', ['submission' => $submission->id]));

            $this->setAdminUser();
            provider::delete_submission_for_userid(new assign_plugin_request_data($context, $assign, $submission, [],
                $student));
            $this->assertFalse($DB->record_exists('assignsubmission_s3video', ['submission' => $submission->id]));
            $erase = $sidecar->requests_to('/erase');
            $this->assertCount(1, $erase);
            $this->assertSame(['users' => [(int)$student->id]], $erase[0]['body']);
        } finally {
            sidecar_client::$testtransport = null;
        }
    }
}
