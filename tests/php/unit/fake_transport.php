<?php
// This file is part of the s3video project - GPL v3 or later.

namespace assignsubmission_s3video;

use assignsubmission_s3video\http\response;
use assignsubmission_s3video\http\transport;
use assignsubmission_s3video\http\transport_exception;

/**
 * A transport that records each request and answers from a queue (a response, or an exception to throw).
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class fake_transport implements transport {

    /** @var array Requests sent: method, url, headers, body, connecttimeout, timeout. */
    public $sent = [];

    /** @var array Answers still to give. */
    private $answers;

    /**
     * Constructor.
     *
     * @param array $answers response or transport_exception objects, in order
     */
    public function __construct(array $answers) {
        $this->answers = $answers;
    }

    /**
     * Record the request and give the next answer.
     *
     * @param string $method HTTP method
     * @param string $url URL
     * @param array $headers headers
     * @param string $body body
     * @param int $connecttimeout connect timeout
     * @param int $timeout total timeout
     * @return response
     */
    public function send(string $method, string $url, array $headers, string $body, int $connecttimeout,
            int $timeout): response {
        $this->sent[] = compact('method', 'url', 'headers', 'body', 'connecttimeout', 'timeout');
        $answer = array_shift($this->answers);
        if ($answer instanceof transport_exception) {
            throw $answer;
        }
        return $answer;
    }
}
