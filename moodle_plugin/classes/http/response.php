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

namespace assignsubmission_s3video\http;

/**
 * One HTTP answer: status, headers (names lowercased) and body.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class response {

    /** @var int HTTP status. */
    public $status;

    /** @var array Header name (lowercase) => value. */
    public $headers;

    /** @var string Body bytes. */
    public $body;

    /**
     * Constructor.
     *
     * @param int $status HTTP status
     * @param array $headers header name => value; names are lowercased here
     * @param string $body body bytes
     */
    public function __construct(int $status, array $headers, string $body) {
        $this->status = $status;
        $this->headers = array_change_key_case($headers, CASE_LOWER);
        $this->body = $body;
    }

    /**
     * A header's value, or null.
     *
     * @param string $name header name, any case
     * @return string|null
     */
    public function header(string $name): ?string {
        return $this->headers[strtolower($name)] ?? null;
    }
}
