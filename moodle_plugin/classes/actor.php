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

/**
 * Who Moodle says is calling the sidecar: a user, their roles, the course of the call and, for a
 * team submission, the group it belongs to.
 *
 * The header is compact JSON with the keys in the contract's order, for example
 * {"user":123,"roles":["student"],"course":9}, and {"user":123,"roles":["student"],"course":9,"group":4}
 * for a call about group 4's submission (0 is Moodle's team of the students in no group): the sidecar
 * then lets every member of that group act on it. The value object itself needs no Moodle;
 * the factories below read Moodle's capabilities and are only called inside Moodle.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class actor {

    /** @var string May submit in the course. */
    const STUDENT = 'student';

    /** @var string May grade in the course. */
    const GRADER = 'grader';

    /** @var string Site administrator (or Moodle itself, acting on a decision it has already checked). */
    const ADMIN = 'admin';

    /** @var int Moodle user id. */
    public $user;

    /** @var string[] Roles, drawn from the constants above. */
    public $roles;

    /** @var int Moodle course id. */
    public $course;

    /** @var int|null The Moodle group of the team submission the call is about (null: not a team submission). */
    public $group;

    /**
     * Constructor.
     *
     * @param int $user Moodle user id (positive)
     * @param string[] $roles roles, drawn from student, grader, admin
     * @param int $course Moodle course id (positive)
     * @param int|null $group the team submission's group (0 or a positive id), or null
     */
    public function __construct(int $user, array $roles, int $course, ?int $group = null) {
        foreach ($roles as $role) {
            if (!in_array($role, [self::STUDENT, self::GRADER, self::ADMIN], true)) {
                throw new \InvalidArgumentException("Unknown sidecar role '{$role}'");
            }
        }
        if ($user <= 0 || $course <= 0) {
            throw new \InvalidArgumentException('The actor user and course must be positive ids');
        }
        if ($group !== null && $group < 0) {
            throw new \InvalidArgumentException('The actor group must be 0 or a positive id');
        }
        $this->user = $user;
        $this->roles = array_values(array_unique($roles));
        $this->course = $course;
        $this->group = $group;
    }

    /**
     * The X-S3Video-Actor header value.
     *
     * @return string
     */
    public function to_header(): string {
        $actor = ['user' => $this->user, 'roles' => $this->roles, 'course' => $this->course];
        if ($this->group !== null) {
            $actor['group'] = $this->group;
        }
        return json_encode($actor, JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR);
    }

    /**
     * The current user, with the roles their capabilities give them in an assignment.
     *
     * mod/assign:submit makes a student, mod/assign:grade a grader, moodle/site:config an admin.
     * A call about a team submission (Moodle stores those with userid 0 and the group's id) names
     * its group: the caller has already been checked to be its member, or to be allowed to see it.
     *
     * @param \context $context the assignment's module context
     * @param int $courseid the assignment's course
     * @param \stdClass|null $submission the assign_submission record the call is about, if any
     * @return self
     */
    public static function for_user_in_context(\context $context, int $courseid, ?\stdClass $submission = null): self {
        global $USER;
        $roles = [];
        if (has_capability('mod/assign:submit', $context)) {
            $roles[] = self::STUDENT;
        }
        if (has_capability('mod/assign:grade', $context)) {
            $roles[] = self::GRADER;
        }
        if (has_capability('moodle/site:config', \context_system::instance())) {
            $roles[] = self::ADMIN;
        }
        return new self((int)$USER->id, $roles, $courseid, self::team_group($submission));
    }

    /**
     * The group of a team submission, or null for a student's own submission (or none).
     *
     * @param \stdClass|null $submission assign_submission record
     * @return int|null
     */
    public static function team_group(?\stdClass $submission): ?int {
        if ($submission === null || !empty($submission->userid) || !isset($submission->groupid)) {
            return null;
        }
        return (int)$submission->groupid;
    }

    /**
     * Moodle itself, for work Moodle has already authorised: deleting an assignment's videos when the
     * activity goes, privacy requests, a teacher removing a submission.
     *
     * The user is the person who triggered the work (or the main administrator for cron), so that the
     * sidecar's event log still says who it was.
     *
     * @param int $courseid the course the work is about (the site course when there is none)
     * @return self
     */
    public static function moodle(int $courseid = 0): self {
        global $USER;
        $userid = !empty($USER->id) && !isguestuser($USER) ? (int)$USER->id : (int)get_admin()->id;
        return new self($userid, [self::ADMIN], $courseid > 0 ? $courseid : (int)SITEID);
    }
}
