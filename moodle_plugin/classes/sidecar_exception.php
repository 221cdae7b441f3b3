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
 * A refusal or failure of the video sidecar, as a Moodle exception with its own message.
 *
 * Each HTTP status of the contract has its own lang string, so that the student or teacher reads
 * what went wrong ("the video is too large") and not an HTTP code. The sidecar's own details go to
 * the debug information only, never the key or the signature.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class sidecar_exception extends \moodle_exception {

    /** @var array Lang string identifier for each HTTP status of the contract. */
    const ERRORCODES = [
        400 => 'error:invalid',
        401 => 'error:auth',
        403 => 'error:accessdenied',
        404 => 'error:notfound',
        409 => 'error:conflict',
        413 => 'error:toolarge',
        415 => 'error:typenotallowed',
        429 => 'error:ratelimited',
        503 => 'error:unavailable',
    ];

    /** @var string Any other status: the sidecar broke its contract. */
    const UNEXPECTED = 'error:unexpected';

    /** @var string The sidecar could not be reached (connection refused, DNS, timeout). */
    const UNREACHABLE = 'error:unreachable';

    /** @var string The plugin's settings do not name a sidecar and key. */
    const NOTCONFIGURED = 'error:notconfigured';

    /** @var int HTTP status (0 when no answer came). */
    public $status;

    /** @var string|null The sidecar's machine-readable code, e.g. bad_signature for a 401. */
    public $sidecarcode;

    /** @var array For a 400: field name => the sidecar's message. */
    public $fields;

    /** @var int|null For a 429: seconds to wait (the Retry-After header). */
    public $retryafter;

    /**
     * Constructor.
     *
     * @param string $errorcode lang string identifier in assignsubmission_s3video
     * @param int $status HTTP status, 0 if none
     * @param string $debuginfo details for developers (never secrets)
     * @param mixed $a lang string parameter
     * @param string|null $sidecarcode the sidecar's code
     * @param array $fields invalid fields, for a 400
     * @param int|null $retryafter seconds to wait, for a 429
     */
    public function __construct(string $errorcode, int $status = 0, string $debuginfo = '', $a = null,
            ?string $sidecarcode = null, array $fields = [], ?int $retryafter = null) {
        $this->status = $status;
        $this->sidecarcode = $sidecarcode;
        $this->fields = $fields;
        $this->retryafter = $retryafter;
        parent::__construct($errorcode, 'assignsubmission_s3video', '', $a, $debuginfo);
    }

    /**
     * The exception for an error answer of the sidecar.
     *
     * @param int $status HTTP status
     * @param array $body the decoded JSON body ([] if it was not JSON)
     * @param int|null $retryafter Retry-After seconds, if sent
     * @param string $request what was asked, e.g. "POST /assignments/7/submissions/42/upload-url"
     * @return self
     */
    public static function from_response(int $status, array $body, ?int $retryafter, string $request): self {
        $errorcode = self::ERRORCODES[$status] ?? self::UNEXPECTED;
        $sidecarcode = isset($body['code']) && is_string($body['code']) ? $body['code'] : null;
        $fields = [];
        if (isset($body['fields']) && is_array($body['fields'])) {
            foreach ($body['fields'] as $name => $message) {
                $fields[(string)$name] = is_scalar($message) ? (string)$message : json_encode($message);
            }
        }
        $message = isset($body['error']) && is_scalar($body['error']) ? (string)$body['error'] : '';
        $debuginfo = "HTTP {$status} from {$request}" . ($sidecarcode ? " ({$sidecarcode})" : '') .
            ($message !== '' ? ": {$message}" : '');

        $a = null;
        if ($status === 400) {
            $a = $fields ? implode('; ', array_map(function($name, $text) {
                return "{$name}: {$text}";
            }, array_keys($fields), $fields)) : $message;
        } else if ($status === 429) {
            $a = $retryafter ?? 60;
        } else if ($errorcode === self::UNEXPECTED) {
            $a = $status;
        }
        return new self($errorcode, $status, $debuginfo, $a, $sidecarcode, $fields, $retryafter);
    }

    /**
     * The exception for a request that got no answer.
     *
     * @param string $request what was asked
     * @param string $detail the transport's reason (e.g. curl's message)
     * @return self
     */
    public static function unreachable(string $request, string $detail): self {
        return new self(self::UNREACHABLE, 0, "{$request}: {$detail}");
    }

    /**
     * Whether the sidecar answered 404 (no such video, submission or upload).
     *
     * @return bool
     */
    public function is_not_found(): bool {
        return $this->status === 404;
    }
}
