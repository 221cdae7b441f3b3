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

namespace assignsubmission_s3video\local;

use assignsubmission_s3video\actor;
use assignsubmission_s3video\sidecar_client;
use assignsubmission_s3video\sidecar_exception;

/**
 * The settings page's connection check: is the sidecar up, and does it accept our key?
 *
 * Two calls made for the purpose: GET /health (unsigned: database and storage), then the signed
 * no-op GET /whoami (C7), which a sidecar that accepts the key answers 200 and one that does not
 * answers 401. Neither touches a submission, nor counts as a refusal on the dashboard.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class connection_check {

    /**
     * Run the check.
     *
     * @param sidecar_client $client the configured client
     * @return array [bool ok, string message for the administrator]
     */
    public static function run(sidecar_client $client): array {
        try {
            $health = $client->health();
            if (($health['status'] ?? '') !== 'ok') {
                return [false, get_string('settings:connectionfailed', 'assignsubmission_s3video',
                    s(json_encode($health, JSON_UNESCAPED_SLASHES)))];
            }
            $whoami = $client->whoami(actor::moodle());
        } catch (sidecar_exception $e) {
            if ($e->is_not_found()) {
                return [false, get_string('settings:connectionold', 'assignsubmission_s3video',
                    s(get_config('assignsubmission_s3video', 'sidecarurl')))];
            }
            $reason = $e->getMessage() . ($e->sidecarcode ? " ({$e->sidecarcode})" : '');
            return [false, get_string('settings:connectionfailed', 'assignsubmission_s3video', s($reason))];
        }
        return [true, get_string('settings:connectionkeyok', 'assignsubmission_s3video', (object)[
            'url' => s(get_config('assignsubmission_s3video', 'sidecarurl')),
            'keyid' => s((string)($whoami['key_id'] ?? '')),
        ])];
    }
}
