// This file is part of the s3video assignment submission plugin for Moodle.
//
// It is free software: you can redistribute it and/or modify it under the
// terms of the GNU General Public License as published by the Free Software
// Foundation, either version 3 of the License, or (at your option) any later
// version. It is distributed WITHOUT ANY WARRANTY; see the GNU General Public
// License for details: <http://www.gnu.org/licenses/>.

/**
 * What the engine reports: its states, its error codes with the message a student reads for each,
 * and the two error classes (UploadError for every failure, TransportError for "no HTTP answer").
 *
 * @module     assignsubmission_s3video/local/upload/errors
 * @copyright  2026 s3video contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

/**
 * Error codes reported through onError and carried by UploadError.code.
 * The Moodle wrapper maps each to a language string.
 */
export const ERROR_CODES = Object.freeze({
    TOO_LARGE: 'toolarge',
    TYPE_NOT_ALLOWED: 'typenotallowed',
    NETWORK: 'network',
    EXPIRED: 'expired',
    S3_ERROR: 's3error',
    // The sidecar refused (403): this user may not upload here (a grader, a closed submission).
    NOT_ALLOWED: 'notallowed',
    // The sidecar does not know the upload or the video (404): deleted, replaced, or expired.
    MISSING: 'missing',
    // The sidecar answers but the storage cannot be read from this page: its CORS rule does not
    // allow the site (moodle_origin), or does not expose ETag.
    MISCONFIGURED: 'misconfigured',
    CANCELLED: 'cancelled',
    UNKNOWN: 'unknown',
});

/** The states reported through onStateChange, in the order they happen. */
export const STATES = Object.freeze({
    CHECKING: 'checking',
    PREPARING: 'preparing',
    UPLOADING: 'uploading',
    COMPLETING: 'completing',
    DONE: 'done',
    FAILED: 'failed',
    CANCELLED: 'cancelled',
});

/**
 * Formats a byte count the way Moodle's display_size() does (1024-based).
 *
 * @param {number} bytes
 * @return {string}
 */
export function formatBytes(bytes) {
    const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    return unit === 0 ? `${bytes} bytes` : `${Math.round(value * 10) / 10} ${units[unit]}`;
}

/**
 * The English message shown for an error code (one per row of the design's
 * upload error table, plus cancel and the catch-all).
 *
 * @param {string} code One of ERROR_CODES.
 * @param {object} [context] Figures that make the message precise.
 * @param {number} [context.size] The file's size.
 * @param {number} [context.maxBytes] The largest size allowed.
 * @param {string} [context.mimeType] The file's type.
 * @param {string[]} [context.allowedMimeTypes] The types allowed.
 * @return {string}
 */
export function errorMessage(code, {size, maxBytes, mimeType, allowedMimeTypes} = {}) {
    switch (code) {
        case ERROR_CODES.TOO_LARGE:
            if (size !== undefined && Number.isFinite(maxBytes)) {
                return `This file is too large (${formatBytes(size)}). ` +
                    `The largest file you can upload is ${formatBytes(maxBytes)}.`;
            }
            return 'This file is too large to upload.';
        case ERROR_CODES.TYPE_NOT_ALLOWED: {
            const allowed = allowedMimeTypes && allowedMimeTypes.length ?
                ` Allowed types: ${allowedMimeTypes.join(', ')}.` : '';
            if (size === 0) {
                return 'This file is empty. Choose a video file.';
            }
            if (!mimeType) {
                return `The type of this file could not be recognised.${allowed}`;
            }
            return `Files of type ${mimeType} cannot be uploaded here.${allowed}`;
        }
        case ERROR_CODES.NETWORK:
            return 'The connection was lost during the upload. Check your internet connection, then press Retry.';
        case ERROR_CODES.EXPIRED:
            return 'The permission to upload expired before the upload finished. Press Retry to get a new one.';
        case ERROR_CODES.S3_ERROR:
            return 'The video storage did not accept the upload. Press Retry; if it fails again, ' +
                'tell your teacher or the site administrator.';
        case ERROR_CODES.NOT_ALLOWED:
            return 'You are not allowed to upload a video here.';
        case ERROR_CODES.MISSING:
            return 'This upload or its video no longer exists (it may have been deleted or replaced). ' +
                'Choose the file again to start a new upload.';
        case ERROR_CODES.MISCONFIGURED:
            return 'The site is misconfigured: the browser may not send videos to the video storage. ' +
                'Tell your administrator (storage CORS).';
        case ERROR_CODES.CANCELLED:
            return 'The upload was cancelled.';
        default:
            return 'The upload failed for an unexpected reason. Press Retry; if it fails again, ' +
                'tell your teacher or the site administrator.';
    }
}

/**
 * What every failure of UploadEngine.upload() becomes: `code` is one of
 * ERROR_CODES, `message` is for the student, `detail` for the logs.
 */
export class UploadError extends Error {
    /**
     * @param {string} code One of ERROR_CODES.
     * @param {string} message For the student.
     * @param {object} [options]
     * @param {string} [options.detail] What exactly happened, for logs and support.
     * @param {number} [options.status] The HTTP status behind the error, if any.
     * @param {boolean} [options.retryable] Whether trying the same request again may succeed.
     * @param {boolean} [options.resign] Whether a fresh presigned URL may succeed.
     * @param {number} [options.retryAfterMs] The server's Retry-After, if it sent one.
     * @param {boolean} [options.storage] Whether the storage (S3), not the sidecar, failed.
     */
    constructor(code, message, {detail = '', status, retryable = false, resign = false, retryAfterMs, storage = false} = {}) {
        super(message || errorMessage(code));
        this.name = 'UploadError';
        this.code = code;
        this.detail = detail;
        this.status = status;
        this.retryable = retryable;
        this.resign = resign;
        this.retryAfterMs = retryAfterMs;
        this.storage = storage;
    }
}

/**
 * A failure of the transport itself: no HTTP answer at all.
 */
export class TransportError extends Error {
    /**
     * @param {string} kind 'network' (no answer, or the connection stalled) or 'aborted' (we aborted it).
     * @param {string} message
     */
    constructor(kind, message) {
        super(message);
        this.name = 'TransportError';
        this.kind = kind;
    }
}
