// This file is part of the s3video assignment submission plugin for Moodle.
//
// It is free software: you can redistribute it and/or modify it under the
// terms of the GNU General Public License as published by the Free Software
// Foundation, either version 3 of the License, or (at your option) any later
// version. It is distributed WITHOUT ANY WARRANTY; see the GNU General Public
// License for details: <http://www.gnu.org/licenses/>.

/**
 * Part planning: how a file is cut into S3 multipart parts, how long to wait before a retry,
 * and when a presigned URL expires.
 *
 * @module     assignsubmission_s3video/local/upload/parts
 * @copyright  2026 s3video contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

/** S3 refuses a multipart upload of more parts than this. */
export const MAX_PARTS = 10000;

/**
 * Splits a file into S3 multipart parts.
 *
 * @param {number} size The file's size in bytes.
 * @param {number} partSize Every part but the last has exactly this size.
 * @return {{partNumber: number, start: number, end: number, size: number}[]} Parts numbered from 1; end exclusive.
 */
export function planParts(size, partSize) {
    if (!Number.isSafeInteger(size) || size < 0) {
        throw new RangeError(`planParts: size must be a non-negative integer, got ${size}`);
    }
    if (!Number.isSafeInteger(partSize) || partSize <= 0) {
        throw new RangeError(`planParts: partSize must be a positive integer, got ${partSize}`);
    }
    const count = Math.ceil(size / partSize);
    if (count > MAX_PARTS) {
        throw new RangeError(`planParts: ${count} parts of ${partSize} bytes exceed S3's ${MAX_PARTS} parts`);
    }
    const parts = [];
    for (let index = 0; index < count; index++) {
        const start = index * partSize;
        const end = Math.min(size, start + partSize);
        parts.push({partNumber: index + 1, start, end, size: end - start});
    }
    return parts;
}

/**
 * How long to wait before retry number `attempt` (0 for the first retry):
 * exponential growth, capped, with "equal jitter" (half fixed, half random)
 * so that parts that failed together do not all come back at once, yet none
 * retries immediately into the same outage.
 *
 * @param {number} attempt 0 for the first retry.
 * @param {function(): number} [rng] Uniform in [0, 1).
 * @param {object} [options]
 * @param {number} [options.baseMs] The delay before jitter for the first retry.
 * @param {number} [options.maxMs] The cap before jitter.
 * @return {number} Milliseconds.
 */
export function backoffDelay(attempt, rng = Math.random, {baseMs = 1000, maxMs = 30000} = {}) {
    const ceiling = Math.min(maxMs, baseMs * Math.pow(2, Math.max(0, attempt)));
    return Math.round(ceiling / 2 + rng() * ceiling / 2);
}

/**
 * An expiry from the sidecar in milliseconds: ISO 8601, or Unix seconds or milliseconds.
 *
 * @param {string|number|undefined} value
 * @return {?number} null when absent or unreadable.
 */
export function parseExpiry(value) {
    if (value === undefined || value === null || value === '') {
        return null;
    }
    const numeric = typeof value === 'number' ? value : (/^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN);
    if (!Number.isNaN(numeric)) {
        // Unix seconds stay below 1e11 until the year 5138.
        return numeric < 1e11 ? numeric * 1000 : numeric;
    }
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? null : parsed;
}
