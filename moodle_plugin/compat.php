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
 * Moodle 4.1 compatibility for the external API, in one place.
 *
 * Moodle 4.2 moved the external API classes from lib/externallib.php (global names) into the
 * core_external namespace. The plugin is written against the 4.2+ names; on 4.1 this file
 * aliases each one to its global original. It is required by classes/external/base.php and by
 * locallib.php, the only places that use the external API.
 *
 * What has been run: on Moodle 4.1.10 (PHP 8.2) the aliases served every external function the upload
 * and the player call (issue 13's report); on Moodle 4.5.5+ (Build 20250613, PHP 8.2) and 5.1+ (Build
 * 20251017, PHP 8.2) this file does nothing (the core_external classes exist), and the end-to-end suite
 * (tests/moodle_e2e) passed whole on both. Two other differences, neither of them code this file could
 * hold: 5.1's public/ directory changes where the plugin is copied; and assign_plugin::format_for_log()
 * takes a required stdClass on 4.1/4.2, no parameter on 4.3-4.5 (a stub that throws) and is gone from
 * 5.0, so locallib.php overrides it with an optional ?stdClass, the one signature all three accept (the
 * required one was a fatal error on 4.5 as soon as mod/assign loaded the plugin).
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

global $CFG;

if (!class_exists('core_external\\external_api')) {
    require_once($CFG->libdir . '/externallib.php');
    foreach (['external_api', 'external_description', 'external_value', 'external_single_structure',
            'external_multiple_structure', 'external_function_parameters'] as $classname) {
        class_alias($classname, 'core_external\\' . $classname);
    }
}
