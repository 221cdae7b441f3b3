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
 * Version information for the S3 video submission plugin.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$plugin->component = 'assignsubmission_s3video';
// 2026120100: writes the defaults a site stuck on the allowed-types pattern never got (moodle-e2e);
// 2026120101: the sidecar video id and the submission receipt (db/upgrade.php);
// 2026120200: poster thumbnails and media details (new lang strings, template and classes; no schema change).
$plugin->version   = 2026120200;
// Run on Moodle 4.1.10 (the 4.1 LTS line; the compat layer, compat.php), 4.5.5+ (Build 20250613) and 5.1+
// (Build 20251017), all on PHP 8.2; 5.0 lies between them and was not run separately.
$plugin->requires  = 2022112800; // Moodle 4.1 LTS.
$plugin->supported = [401, 501];
$plugin->maturity  = MATURITY_BETA;
$plugin->release   = '0.1.0';
