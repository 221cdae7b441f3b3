<?php
// This file is part of the s3video project - GPL v3 or later.

namespace assignsubmission_s3video;

/**
 * One assertion the client tests share: a call must be refused with a sidecar_exception.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
trait refusal_assertions {

    /**
     * Run a call that must fail, and return its exception.
     *
     * @param callable $call the call
     * @return sidecar_exception
     */
    private function refused(callable $call): sidecar_exception {
        try {
            $call();
        } catch (sidecar_exception $e) {
            return $e;
        }
        $this->fail('the call was accepted; it must be refused');
    }
}
