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
 * Upgrade steps of the S3 video submission plugin.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

/**
 * Upgrade the plugin's table.
 *
 * @param int $oldversion the version installed
 * @return bool
 */
function xmldb_assignsubmission_s3video_upgrade($oldversion) {
    global $DB;
    $dbman = $DB->get_manager();

    if ($oldversion < 2026120101) {
        // The sidecar's video id (drafts are made current by id) and the submission receipt.
        $table = new xmldb_table('assignsubmission_s3video');
        $fields = [
            new xmldb_field('sidecarvideo', XMLDB_TYPE_INTEGER, '10', null, XMLDB_NOTNULL, null, '0', 'sidecarsubmission'),
            new xmldb_field('checksum', XMLDB_TYPE_CHAR, '64', null, null, null, null, 'filesize'),
            new xmldb_field('checksumtype', XMLDB_TYPE_CHAR, '16', null, null, null, null, 'checksum'),
            new xmldb_field('timeconfirmed', XMLDB_TYPE_INTEGER, '10', null, XMLDB_NOTNULL, null, '0', 'checksumtype'),
        ];
        foreach ($fields as $field) {
            if (!$dbman->field_exists($table, $field)) {
                $dbman->add_field($table, $field);
            }
        }
        upgrade_plugin_savepoint(true, 2026120101, 'assignsubmission', 's3video');
    }

    return true;
}
