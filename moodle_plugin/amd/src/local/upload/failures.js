// This file is part of the s3video assignment submission plugin for Moodle.
//
// It is free software: you can redistribute it and/or modify it under the
// terms of the GNU General Public License as published by the Free Software
// Foundation, either version 3 of the License, or (at your option) any later
// version. It is distributed WITHOUT ANY WARRANTY; see the GNU General Public
// License for details: <http://www.gnu.org/licenses/>.

/**
 * How a failure becomes an UploadError: S3's XML error answers, transport failures, the
 * sidecar's refusals, and the cause a failed upload is reported with.
 *
 * @module     assignsubmission_s3video/local/upload/failures
 * @copyright  2026 s3video contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

import {ERROR_CODES, TransportError, UploadError} from 'assignsubmission_s3video/local/upload/errors';

/**
 * Reads S3's XML error body without a DOM parser.
 *
 * @param {string} body
 * @return {{code: string, message: string}}
 */
export function parseS3Error(body) {
    const pick = tag => {
        const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(body || '');
        return match ? match[1] : '';
    };
    return {code: pick('Code'), message: pick('Message')};
}

/**
 * The UploadError for an S3 answer that is not a success.
 *
 * @param {{status: number, body: string}} response
 * @return {UploadError}
 */
export function s3ResponseError(response) {
    const {status} = response;
    const {code, message} = parseS3Error(response.body);
    const detail = `S3 answered ${status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
    // S3 says "Request has expired" for an old presigned URL and "Invalid
    // according to Policy: Policy expired." for an old POST policy;
    // ExpiredToken means the signing credentials themselves expired.
    if ((status === 403 && /expired/i.test(message)) || code === 'ExpiredToken') {
        return new UploadError(ERROR_CODES.EXPIRED, '', {detail, status, resign: true});
    }
    if (status === 403) {
        return new UploadError(ERROR_CODES.S3_ERROR, '', {detail, status, resign: true});
    }
    if (code === 'EntityTooLarge') {
        return new UploadError(ERROR_CODES.TOO_LARGE, '', {detail, status});
    }
    const retryable = status >= 500 || status === 429;
    return new UploadError(ERROR_CODES.S3_ERROR, '', {detail, status, retryable});
}

/**
 * The UploadError for a transport failure.
 *
 * @param {Error} error
 * @param {boolean} [storage] Whether the request went to the storage (S3), not to the sidecar.
 * @return {UploadError}
 */
export function transportError(error, storage = false) {
    if (error instanceof UploadError) {
        return error;
    }
    if (error instanceof TransportError && error.kind === 'aborted') {
        return new UploadError(ERROR_CODES.CANCELLED, '', {detail: error.message});
    }
    return new UploadError(ERROR_CODES.NETWORK, '', {detail: error.message, retryable: true, storage});
}

/**
 * The UploadError for a failed sidecar call. The api functions throw objects
 * with an HTTP-like `status` (0 for "no answer"), and `code`/`message`.
 *
 * @param {string} call The api function's name.
 * @param {*} error What it threw.
 * @return {UploadError}
 */
export function apiError(call, error) {
    if (error instanceof UploadError) {
        return error;
    }
    const status = error && typeof error.status === 'number' ? error.status : undefined;
    const said = error ? (error.message || error.error || '') : '';
    const detail = `${call} failed${status !== undefined ? ` with ${status}` : ''}` +
        `${error && error.code ? ` (${error.code})` : ''}${said ? `: ${said}` : ''}`;
    // The Retry-After of a 429 or 503, in seconds, if the api wrapper passed it on.
    const retryAfter = error && typeof error.retryAfter === 'number' ? error.retryAfter : NaN;
    const retryAfterMs = Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined;
    const fields = (error && error.fields) || {};
    // fetch() rejects with a TypeError when the network is down.
    if (status === 0 || (status === undefined && (error instanceof TypeError || (error && error.code === 'network')))) {
        return new UploadError(ERROR_CODES.NETWORK, '', {detail, retryable: true});
    }
    if (status === 413 || (status === 400 && fields.size)) {
        return new UploadError(ERROR_CODES.TOO_LARGE, '', {detail, status});
    }
    if (status === 415 || (status === 400 && fields.mime_type)) {
        return new UploadError(ERROR_CODES.TYPE_NOT_ALLOWED, '', {detail, status});
    }
    if (status === 429 || status >= 500) {
        // The sidecar answers 503 when S3 or its database is unavailable.
        return new UploadError(ERROR_CODES.S3_ERROR, '', {detail, status, retryable: true, retryAfterMs});
    }
    if (status === 409) {
        // confirm/complete: the object is not in S3, or failed its checks.
        return new UploadError(ERROR_CODES.S3_ERROR, '', {detail, status});
    }
    if (status === 403) {
        return new UploadError(ERROR_CODES.NOT_ALLOWED, '', {detail, status});
    }
    if (status === 404 || status === 410) {
        return new UploadError(ERROR_CODES.MISSING, '', {detail, status});
    }
    return new UploadError(ERROR_CODES.UNKNOWN, '', {detail, status});
}

/**
 * The cause a failed upload is reported with: the error itself, except a network failure of the
 * storage that, while the sidecar answered, never got a single answer (nor sent a byte) from
 * the storage in this upload: the browser refused the storage's answers (CORS), the network
 * is fine. A browser that knows it is offline is believed.
 *
 * @param {UploadError} error
 * @param {{sidecar: boolean, storage: boolean}} reached What answered during the upload.
 * @param {boolean} online What the browser says of its connection.
 * @return {UploadError}
 */
export function failureCause(error, reached, online) {
    if (error.code === ERROR_CODES.NETWORK && error.storage && reached.sidecar && !reached.storage && online) {
        return new UploadError(ERROR_CODES.MISCONFIGURED, '', {
            detail: `${error.detail}; the sidecar answered, the storage never did: ` +
                'its CORS rule does not allow this site (moodle_origin)',
            storage: true,
        });
    }
    return error;
}

/**
 * A listParts answer that means "this upload is gone or not yours": start afresh.
 *
 * @param {UploadError} error
 * @return {boolean}
 */
export function uploadIsGone(error) {
    return [403, 404, 409, 410].includes(error.status);
}
