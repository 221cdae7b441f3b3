// This file is part of the s3video assignment submission plugin for Moodle.
//
// It is free software: you can redistribute it and/or modify it under the
// terms of the GNU General Public License as published by the Free Software
// Foundation, either version 3 of the License, or (at your option) any later
// version. It is distributed WITHOUT ANY WARRANTY; see the GNU General Public
// License for details: <http://www.gnu.org/licenses/>.

/**
 * The browser side of a video upload: file checks, presigned POST, resumable
 * multipart upload straight to S3, progress, and errors a student understands.
 *
 * This module knows nothing of Moodle or the DOM. Everything it talks to is
 * handed in: the sidecar calls (`api`), the HTTP transport for the bytes,
 * storage for resume records, clocks and timers. Moodle's uploader wraps
 * `api` around core/ajax; the sidecar's development page wraps it around
 * fetch; the Node tests hand in fakes. The same file is copied, unchanged,
 * to the sidecar's static folder as an ES module.
 *
 * @module     assignsubmission_s3video/upload_engine
 * @copyright  2026 s3video contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

const KIB = 1024;
const MIB = 1024 * KIB;

/** S3 refuses a multipart upload of more parts than this. */
export const MAX_PARTS = 10000;

/** How much of each end of a file goes into its fingerprint. */
export const FINGERPRINT_SAMPLE_BYTES = MIB;

/** The only per-part checksum the engine computes. */
export const CHECKSUM_HEADER = 'x-amz-checksum-sha256';

// A URL this close to its expiry is re-signed before use: a part sent on an
// almost expired URL would fail with 403 and be sent again.
const URL_EXPIRY_MARGIN_MS = 60 * 1000;

// A 403 on a freshly signed URL is not an expiry problem; re-signing forever
// would hide a configuration error (clock skew, wrong key, bucket policy).
const MAX_RESIGNS_PER_PART = 2;

const DEFAULT_STORAGE_PREFIX = 'assignsubmission_s3video/upload/';

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

// Browsers leave File.type empty for some containers (often .mkv, sometimes
// .mov on Windows): fall back to the extension for those.
const MIME_BY_EXTENSION = Object.freeze({
    mp4: 'video/mp4',
    m4v: 'video/mp4',
    mov: 'video/quicktime',
    webm: 'video/webm',
    mkv: 'video/x-matroska',
    avi: 'video/x-msvideo',
    ogv: 'video/ogg',
    mpeg: 'video/mpeg',
    mpg: 'video/mpeg',
    '3gp': 'video/3gpp',
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
 * Lowercase hex of a byte buffer.
 *
 * @param {ArrayBuffer} buffer
 * @return {string}
 */
function toHex(buffer) {
    return Array.from(new Uint8Array(buffer), byte => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * Standard base64 of a byte buffer (what S3's checksum headers carry).
 *
 * @param {ArrayBuffer} buffer
 * @return {string}
 */
function toBase64(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = '';
    // Chunked: String.fromCharCode with a 32-byte digest is fine, but the
    // helper stays safe for any length.
    for (let offset = 0; offset < bytes.length; offset += 0x8000) {
        binary += String.fromCharCode.apply(null, bytes.subarray(offset, offset + 0x8000));
    }
    return btoa(binary);
}

/**
 * SHA-256 of a Blob (or a slice of one), base64, as S3's x-amz-checksum-sha256 wants it.
 *
 * @param {Blob} blob
 * @param {SubtleCrypto} subtle
 * @return {Promise<string>}
 */
export async function sha256Base64(blob, subtle) {
    return toBase64(await subtle.digest('SHA-256', await blob.arrayBuffer()));
}

/**
 * A fingerprint that tells "the same file chosen again" from another file
 * without reading gigabytes: name, size, last modification time, and the
 * SHA-256 of the first and last MiB. 64 lowercase hex characters.
 *
 * @param {File} file
 * @param {SubtleCrypto} [subtle]
 * @return {Promise<string>}
 */
export async function fingerprintFile(file, subtle = globalThis.crypto && globalThis.crypto.subtle) {
    const sample = FINGERPRINT_SAMPLE_BYTES;
    const head = file.slice(0, Math.min(file.size, sample));
    const tail = file.slice(Math.max(0, file.size - sample));
    const [headHash, tailHash] = await Promise.all([
        subtle.digest('SHA-256', await head.arrayBuffer()),
        subtle.digest('SHA-256', await tail.arrayBuffer()),
    ]);
    const description = JSON.stringify(['s3video-fingerprint-1', file.name, file.size, file.lastModified,
        toHex(headHash), toHex(tailHash)]);
    return toHex(await subtle.digest('SHA-256', new TextEncoder().encode(description)));
}

/**
 * Turns raw byte counts into what a progress bar shows: percent, speed and
 * time left. The speed is measured over a moving window so that it follows
 * changes within seconds without jumping at every event, and the byte count
 * never goes backwards (a retried part restarts from zero underneath).
 */
export class ProgressMeter {
    /**
     * @param {object} options
     * @param {number} options.total The file's size.
     * @param {number} [options.initialBytes] Bytes already uploaded before this session (resume).
     * @param {function(): number} [options.now] Milliseconds clock.
     * @param {number} [options.windowMs] The span the speed is measured over.
     * @param {number} [options.minSpanMs] Below this span the speed is not yet known.
     */
    constructor({total, initialBytes = 0, now = Date.now, windowMs = 5000, minSpanMs = 500}) {
        this.total = total;
        this.now = now;
        this.windowMs = windowMs;
        this.minSpanMs = minSpanMs;
        this.bytesSent = Math.min(total, Math.max(0, initialBytes));
        this.bytesPerSecond = null;
        this.samples = [{time: now(), bytes: this.bytesSent}];
    }

    /**
     * Records how many bytes are sent in all.
     *
     * @param {number} bytes
     * @return {{percent: number, bytesSent: number, bytesTotal: number, bytesPerSecond: ?number, secondsLeft: ?number}}
     */
    update(bytes) {
        const time = this.now();
        this.bytesSent = Math.min(this.total, Math.max(this.bytesSent, bytes));
        this.samples.push({time, bytes: this.bytesSent});
        // Keep one sample at or before the window's start as the baseline.
        while (this.samples.length > 2 && this.samples[1].time <= time - this.windowMs) {
            this.samples.shift();
        }
        const first = this.samples[0];
        const span = time - first.time;
        if (span >= this.minSpanMs) {
            this.bytesPerSecond = (this.bytesSent - first.bytes) * 1000 / span;
        }
        return this.snapshot();
    }

    /**
     * @return {{percent: number, bytesSent: number, bytesTotal: number, bytesPerSecond: ?number, secondsLeft: ?number}}
     */
    snapshot() {
        const remaining = this.total - this.bytesSent;
        let secondsLeft = null;
        if (remaining === 0) {
            secondsLeft = 0;
        } else if (this.bytesPerSecond > 0) {
            secondsLeft = Math.ceil(remaining / this.bytesPerSecond);
        }
        return {
            // Floor, so that 100 means "every byte is there", never "almost".
            percent: this.total > 0 ? Math.floor(this.bytesSent * 100 / this.total) : 100,
            bytesSent: this.bytesSent,
            bytesTotal: this.total,
            bytesPerSecond: this.bytesPerSecond === null ? null : Math.round(this.bytesPerSecond),
            secondsLeft,
        };
    }
}

/**
 * The default transport: XMLHttpRequest, because fetch() still reports no
 * upload progress. A request that shows no upload progress for
 * `stallTimeoutMs` is aborted and reported as a network failure: a dropped
 * connection can otherwise leave a request hanging for minutes.
 *
 * A transport is a function (request) => Promise<response> where request is
 * {method, url, headers, body, signal, onUploadProgress(loaded, total)} and
 * response is {status, headers: {get(name)}, body}. It rejects with a
 * TransportError when no HTTP answer came.
 *
 * @param {object} [options]
 * @param {function} [options.XMLHttpRequest] The XHR class (tests hand in a fake).
 * @param {number} [options.stallTimeoutMs] 0 disables the stall watchdog.
 * @param {function} [options.setTimeout]
 * @param {function} [options.clearTimeout]
 * @return {function(object): Promise<object>}
 */
export function createXhrTransport({
    XMLHttpRequest: Xhr,
    stallTimeoutMs = 60000,
    setTimeout: startTimer = (fn, ms) => setTimeout(fn, ms),
    clearTimeout: stopTimer = timer => clearTimeout(timer),
} = {}) {
    return ({method, url, headers = {}, body, signal, onUploadProgress}) => new Promise((resolve, reject) => {
        if (signal && signal.aborted) {
            reject(new TransportError('aborted', 'The request was aborted before it started.'));
            return;
        }
        const XhrClass = Xhr || globalThis.XMLHttpRequest;
        const xhr = new XhrClass();
        let watchdog = null;
        let stalled = false;
        const disarm = () => {
            if (watchdog !== null) {
                stopTimer(watchdog);
                watchdog = null;
            }
        };
        const arm = () => {
            disarm();
            if (stallTimeoutMs > 0) {
                watchdog = startTimer(() => {
                    stalled = true;
                    xhr.abort();
                }, stallTimeoutMs);
            }
        };
        const onAbortSignal = () => xhr.abort();
        const settle = () => {
            disarm();
            if (signal) {
                signal.removeEventListener('abort', onAbortSignal);
            }
        };
        xhr.open(method, url, true);
        for (const [name, value] of Object.entries(headers)) {
            xhr.setRequestHeader(name, value);
        }
        xhr.upload.onprogress = event => {
            arm();
            if (onUploadProgress && event.lengthComputable) {
                onUploadProgress(event.loaded, event.total);
            }
        };
        xhr.onload = () => {
            settle();
            resolve({
                status: xhr.status,
                headers: {get: name => xhr.getResponseHeader(name)},
                body: xhr.responseText || '',
            });
        };
        xhr.onerror = () => {
            settle();
            reject(new TransportError('network', `The ${method} request got no answer.`));
        };
        xhr.onabort = () => {
            settle();
            reject(stalled ?
                new TransportError('network', `The ${method} request stalled for ${stallTimeoutMs} ms.`) :
                new TransportError('aborted', `The ${method} request was aborted.`));
        };
        if (signal) {
            signal.addEventListener('abort', onAbortSignal);
        }
        xhr.send(body);
        arm();
    });
}

const defaultTransport = createXhrTransport();

/**
 * Waits, unless the signal aborts first.
 *
 * @param {number} ms
 * @param {AbortSignal} [signal]
 * @return {Promise<void>}
 */
function defaultSleep(ms, signal) {
    return new Promise((resolve, reject) => {
        if (signal && signal.aborted) {
            reject(new TransportError('aborted', 'Aborted while waiting to retry.'));
            return;
        }
        const onAbort = () => {
            clearTimeout(timer);
            reject(new TransportError('aborted', 'Aborted while waiting to retry.'));
        };
        const timer = setTimeout(() => {
            if (signal) {
                signal.removeEventListener('abort', onAbort);
            }
            resolve();
        }, ms);
        if (signal) {
            signal.addEventListener('abort', onAbort, {once: true});
        }
    });
}

/**
 * localStorage if the browser lets us have it: reading the property throws
 * in sandboxed frames and with site data blocked.
 *
 * @return {?Storage}
 */
function defaultStorage() {
    try {
        return globalThis.localStorage || null;
    } catch (e) {
        return null;
    }
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

/**
 * The file's MIME type, from the browser or else from its extension.
 *
 * @param {File} file
 * @return {string} '' when unknown.
 */
export function resolveMimeType(file) {
    if (file.type) {
        return file.type.toLowerCase();
    }
    const match = /\.([A-Za-z0-9]+)$/.exec(file.name || '');
    return match ? (MIME_BY_EXTENSION[match[1].toLowerCase()] || '') : '';
}

/**
 * @param {string} mimeType
 * @param {string[]} allowed Exact types, or "video/*" wildcards; empty allows all.
 * @return {boolean}
 */
function mimeTypeAllowed(mimeType, allowed) {
    if (!allowed || allowed.length === 0) {
        return true;
    }
    return allowed.some(pattern => {
        const wanted = pattern.toLowerCase();
        return wanted.endsWith('/*') ? mimeType.startsWith(wanted.slice(0, -1)) : mimeType === wanted;
    });
}

/**
 * Reads S3's XML error body without a DOM parser.
 *
 * @param {string} body
 * @return {{code: string, message: string}}
 */
function parseS3Error(body) {
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
function s3ResponseError(response) {
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
function transportError(error, storage = false) {
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
function apiError(call, error) {
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
function failureCause(error, reached, online) {
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
function uploadIsGone(error) {
    return [403, 404, 409, 410].includes(error.status);
}

/**
 * Uploads one file: the checks, the sidecar calls and the bytes to S3.
 *
 * One engine uploads one file at a time; create one per file input.
 */
export class UploadEngine {
    /**
     * @param {object} options
     * @param {object} options.api The sidecar calls (see the README of the JS tooling):
     *     requestUpload, confirm, startMultipart, signParts, listParts, completeMultipart, abortMultipart.
     * @param {function(object): void} [options.onProgress] {percent, bytesSent, bytesTotal, bytesPerSecond, secondsLeft}.
     * @param {function(string, object): void} [options.onStateChange] (state, info): state is one of STATES.
     * @param {function(UploadError): void} [options.onError] Called once when upload() fails.
     * @param {number} [options.partsInFlight] Parts sent at the same time.
     * @param {number} [options.maxRetries] Retries of one request after a network error, 5xx or 429.
     * @param {number} [options.maxBytes] The largest file accepted before asking the sidecar.
     * @param {string[]} [options.allowedMimeTypes] Accepted types ("video/*" allowed); empty accepts all.
     * @param {?Storage} [options.storage] Where resume records live (localStorage-like); null disables.
     * @param {string} [options.storagePrefix] Prefix of the storage keys (scope it per submission).
     * @param {function(object): Promise<object>} [options.transport] Sends the bytes (see createXhrTransport).
     * @param {function(): number} [options.now] Milliseconds clock.
     * @param {function(number, AbortSignal): Promise<void>} [options.sleep] Waits between retries.
     * @param {function(): number} [options.random] Jitter source, uniform in [0, 1).
     * @param {SubtleCrypto} [options.subtle] For fingerprints and part checksums.
     * @param {number} [options.signBatchSize] Part URLs asked for at once.
     * @param {function(): boolean} [options.isOnline] Whether the browser believes it is online.
     */
    constructor({
        api,
        onProgress = () => undefined,
        onStateChange = () => undefined,
        onError = () => undefined,
        partsInFlight = 4,
        maxRetries = 5,
        maxBytes = Infinity,
        allowedMimeTypes = [],
        storage = defaultStorage(),
        storagePrefix = DEFAULT_STORAGE_PREFIX,
        transport = defaultTransport,
        now = Date.now,
        sleep = defaultSleep,
        random = Math.random,
        subtle = globalThis.crypto && globalThis.crypto.subtle,
        signBatchSize,
        isOnline = () => !(globalThis.navigator && globalThis.navigator.onLine === false),
    }) {
        if (!api) {
            throw new TypeError('UploadEngine needs an api object');
        }
        this.api = api;
        this.onProgress = onProgress;
        this.onStateChange = onStateChange;
        this.onError = onError;
        this.partsInFlight = Math.max(1, Math.floor(partsInFlight));
        this.maxRetries = Math.max(0, Math.floor(maxRetries));
        this.maxBytes = maxBytes;
        this.allowedMimeTypes = allowedMimeTypes || [];
        this.storage = storage;
        this.storagePrefix = storagePrefix;
        this.transport = transport;
        this.now = now;
        this.sleep = sleep;
        this.random = random;
        this.subtle = subtle;
        // Small batches: URLs signed long before use may expire while
        // earlier parts crawl over a slow link.
        this.signBatchSize = Math.max(1, signBatchSize || this.partsInFlight);
        this.isOnline = isOnline;
        this.run = null;
    }

    /**
     * Uploads a file and resolves with the sidecar's confirm (or complete) answer.
     * Rejects with an UploadError after reporting it through onError.
     *
     * @param {File} file
     * @return {Promise<object>}
     */
    async upload(file) {
        if (this.run) {
            throw new Error('UploadEngine: an upload is already running; cancel it or create another engine');
        }
        let finish;
        const run = {
            file,
            controller: new AbortController(),
            cancelled: false,
            uploadId: null,
            fingerprint: null,
            // What answered during this upload (see failureCause).
            reached: {sidecar: false, storage: false},
            finished: new Promise(resolve => {
                finish = resolve;
            }),
        };
        this.run = run;
        try {
            const result = await this.uploadFile(run);
            this.setState(STATES.DONE);
            return result;
        } catch (thrown) {
            let error = thrown instanceof UploadError ? thrown :
                new UploadError(ERROR_CODES.UNKNOWN, '', {detail: String(thrown && thrown.stack || thrown)});
            if (run.cancelled) {
                error = new UploadError(ERROR_CODES.CANCELLED, '', {detail: 'cancelled by the user'});
                await this.abortRemote(run);
            } else {
                error = failureCause(error, run.reached, this.isOnline());
            }
            this.setState(run.cancelled ? STATES.CANCELLED : STATES.FAILED, {code: error.code});
            this.onError(error);
            throw error;
        } finally {
            this.run = null;
            finish();
        }
    }

    /**
     * Stops the upload: aborts the requests in flight, and for a multipart
     * upload asks the sidecar to abort it (S3 then drops the parts) and
     * forgets its resume record.
     *
     * @return {Promise<boolean>} true if an upload was cancelled, false if none was running.
     */
    async cancel() {
        const run = this.run;
        if (!run) {
            return false;
        }
        run.cancelled = true;
        run.controller.abort();
        await run.finished;
        return true;
    }

    /**
     * @param {string} state
     * @param {object} [info]
     */
    setState(state, info = {}) {
        this.onStateChange(state, info);
    }

    /**
     * @param {object} run
     */
    throwIfCancelled(run) {
        if (run.cancelled) {
            throw new UploadError(ERROR_CODES.CANCELLED, '');
        }
    }

    /**
     * The checks that need no network: refuse before a single byte moves.
     *
     * @param {File} file
     * @return {string} The MIME type to declare.
     */
    checkFile(file) {
        const mimeType = resolveMimeType(file);
        const context = {size: file.size, maxBytes: this.maxBytes, mimeType, allowedMimeTypes: this.allowedMimeTypes};
        if (file.size > this.maxBytes) {
            throw new UploadError(ERROR_CODES.TOO_LARGE, errorMessage(ERROR_CODES.TOO_LARGE, context),
                {detail: `${file.size} bytes > ${this.maxBytes}`});
        }
        if (file.size === 0) {
            // Not a type problem strictly, but the same remedy: choose another file.
            throw new UploadError(ERROR_CODES.TYPE_NOT_ALLOWED, errorMessage(ERROR_CODES.TYPE_NOT_ALLOWED, context),
                {detail: 'empty file'});
        }
        if (!mimeTypeAllowed(mimeType, this.allowedMimeTypes)) {
            throw new UploadError(ERROR_CODES.TYPE_NOT_ALLOWED, errorMessage(ERROR_CODES.TYPE_NOT_ALLOWED, context),
                {detail: `type "${mimeType}" not in ${this.allowedMimeTypes.join(', ')}`});
        }
        return mimeType;
    }

    /**
     * @param {object} run
     * @return {Promise<object>}
     */
    async uploadFile(run) {
        const file = run.file;
        this.setState(STATES.CHECKING);
        const mimeType = this.checkFile(file);
        this.setState(STATES.PREPARING);
        const request = {filename: file.name, size: file.size, mime_type: mimeType};
        const grant = await this.callApi(run, 'requestUpload', request);
        if (Number.isFinite(grant.max_size) && file.size > grant.max_size) {
            throw new UploadError(ERROR_CODES.TOO_LARGE,
                errorMessage(ERROR_CODES.TOO_LARGE, {size: file.size, maxBytes: grant.max_size}),
                {detail: `${file.size} bytes > sidecar max_size ${grant.max_size}`});
        }
        if (grant.method === 'multipart') {
            return this.uploadMultipart(run, request);
        }
        if (grant.method === 'post' && grant.upload && grant.upload.url) {
            return this.uploadPost(run, grant, request);
        }
        throw new UploadError(ERROR_CODES.UNKNOWN, '', {detail: `unexpected upload-url answer: method ${grant.method}`});
    }

    /**
     * Calls the sidecar, retrying network failures, 5xx and 429 with backoff.
     *
     * @param {object} run
     * @param {string} name The api function.
     * @param {object} args
     * @param {function(object): void} [keep] Sees the answer even if the upload was cancelled meanwhile.
     * @return {Promise<object>}
     */
    async callApi(run, name, args, keep = () => undefined) {
        if (typeof this.api[name] !== 'function') {
            throw new UploadError(ERROR_CODES.UNKNOWN, '', {detail: `the api object has no ${name}()`});
        }
        const result = await this.withRetries(run, async() => {
            try {
                const answer = await this.api[name](args);
                run.reached.sidecar = true;
                return answer;
            } catch (error) {
                throw apiError(name, error);
            }
        }) || {};
        keep(result);
        this.throwIfCancelled(run);
        return result;
    }

    /**
     * Runs attempt() until it succeeds, fails for good, or the retries run out.
     *
     * @param {object} run
     * @param {function(): Promise<*>} attempt
     * @return {Promise<*>}
     */
    async withRetries(run, attempt) {
        for (let retry = 0; ; retry++) {
            try {
                return await attempt();
            } catch (error) {
                if (!(error instanceof UploadError) || !error.retryable || retry >= this.maxRetries || run.cancelled) {
                    throw error;
                }
                const delay = Math.max(backoffDelay(retry, this.random), error.retryAfterMs || 0);
                try {
                    await this.sleep(delay, run.controller.signal);
                } catch (aborted) {
                    throw transportError(aborted);
                }
            }
        }
    }

    /**
     * @param {ProgressMeter} meter
     * @param {number} bytes
     */
    report(meter, bytes) {
        this.onProgress(meter.update(bytes));
    }

    /**
     * One presigned POST of the whole file, renewed once if S3 finds the policy expired.
     *
     * @param {object} run
     * @param {object} grant The upload-url answer.
     * @param {object} request What requestUpload was asked.
     * @return {Promise<object>} The confirm answer.
     */
    async uploadPost(run, grant, request) {
        const file = run.file;
        const meter = new ProgressMeter({total: file.size, now: this.now});
        this.setState(STATES.UPLOADING, {method: 'post', resumedBytes: 0});
        this.onProgress(meter.snapshot());
        let current = grant;
        let renewed = false;
        for (;;) {
            const expiresAt = parseExpiry(current.expires_at);
            const alreadyExpired = expiresAt !== null && expiresAt <= this.now();
            try {
                if (alreadyExpired) {
                    // Known dead before sending: no need to push the file to learn it.
                    throw new UploadError(ERROR_CODES.EXPIRED, '', {detail: 'the POST policy expired before sending'});
                }
                await this.withRetries(run, () => this.postOnce(run, current, meter));
                break;
            } catch (error) {
                if (error.code !== ERROR_CODES.EXPIRED || renewed) {
                    throw error;
                }
                renewed = true;
                current = await this.callApi(run, 'requestUpload', request);
                if (current.method !== 'post' || !current.upload) {
                    throw new UploadError(ERROR_CODES.UNKNOWN, '', {detail: 'renewed upload-url answer is not a POST'});
                }
            }
        }
        this.setState(STATES.COMPLETING, {method: 'post'});
        return this.callApi(run, 'confirm', {s3_key: current.s3_key});
    }

    /**
     * @param {object} run
     * @param {object} grant
     * @param {ProgressMeter} meter
     * @return {Promise<void>}
     */
    async postOnce(run, grant, meter) {
        const file = run.file;
        const form = new FormData();
        for (const [name, value] of Object.entries(grant.upload.fields || {})) {
            form.append(name, value);
        }
        // S3 ignores every form field after the file: it must come last.
        form.append('file', file);
        let response;
        try {
            response = await this.transport({
                method: 'POST',
                url: grant.upload.url,
                headers: {},
                body: form,
                signal: run.controller.signal,
                // The body is the form, a little larger than the file: scale.
                onUploadProgress: (loaded, total) => {
                    run.reached.storage = run.reached.storage || loaded > 0;
                    this.report(meter, total ? Math.floor(loaded * file.size / total) : loaded);
                },
            });
        } catch (error) {
            throw transportError(error, true);
        }
        run.reached.storage = true;
        if (response.status < 200 || response.status >= 300) {
            throw s3ResponseError(response);
        }
        this.report(meter, file.size);
    }

    /**
     * @param {string} fingerprint
     * @return {?object} The resume record, if any.
     */
    loadSession(fingerprint) {
        if (!this.storage) {
            return null;
        }
        try {
            const text = this.storage.getItem(this.storagePrefix + fingerprint);
            return text ? JSON.parse(text) : null;
        } catch (e) {
            return null;
        }
    }

    /**
     * @param {string} fingerprint
     * @param {object} session
     */
    saveSession(fingerprint, session) {
        if (this.storage) {
            try {
                this.storage.setItem(this.storagePrefix + fingerprint, JSON.stringify(session));
            } catch (e) {
                // Quota or privacy mode: the upload still works, only resume by the sidecar's fingerprint remains.
            }
        }
    }

    /**
     * @param {string} fingerprint
     */
    forgetSession(fingerprint) {
        if (this.storage) {
            try {
                this.storage.removeItem(this.storagePrefix + fingerprint);
            } catch (e) {
                // Nothing to do: a stale record is caught by listParts next time.
            }
        }
    }

    /**
     * After a cancel: abort the multipart upload so S3 drops its parts.
     *
     * @param {object} run
     */
    async abortRemote(run) {
        if (!run.uploadId) {
            return;
        }
        if (run.fingerprint) {
            this.forgetSession(run.fingerprint);
        }
        try {
            await this.api.abortMultipart({upload_id: run.uploadId});
        } catch (e) {
            // The sidecar's reconciler and S3's lifecycle rule clean up what this misses.
        }
    }

    /**
     * A multipart upload: resumed if this file was started before, else new.
     *
     * @param {object} run
     * @param {object} request {filename, size, mime_type}
     * @return {Promise<object>} The complete answer.
     */
    async uploadMultipart(run, request) {
        const file = run.file;
        const fingerprint = await fingerprintFile(file, this.subtle);
        this.throwIfCancelled(run);
        run.fingerprint = fingerprint;

        let session = null;
        let listed = null;
        const saved = this.loadSession(fingerprint);
        if (saved && saved.upload_id && saved.size === file.size) {
            try {
                listed = await this.callApi(run, 'listParts', {upload_id: saved.upload_id});
                session = saved;
            } catch (error) {
                if (!uploadIsGone(error)) {
                    throw error;
                }
                this.forgetSession(fingerprint);
            }
        }
        if (!session) {
            // A cancel while this call is under way must still abort the upload it creates.
            const started = await this.callApi(run, 'startMultipart', {...request, fingerprint},
                answer => {
                    run.uploadId = answer.upload_id || null;
                });
            session = {
                upload_id: started.upload_id,
                s3_key: started.s3_key,
                video_id: started.video_id,
                part_size: started.part_size,
                part_count: started.part_count,
                checksum_algorithm: started.checksum_algorithm || null,
                size: file.size,
            };
            run.uploadId = session.upload_id;
            this.saveSession(fingerprint, session);
            // The sidecar keys uploads by fingerprint too, so a "new" upload
            // may be one it already holds parts of (another browser, cleared storage).
            listed = await this.callApi(run, 'listParts', {upload_id: session.upload_id});
        }
        run.uploadId = session.upload_id;

        const plan = planParts(file.size, session.part_size);
        if (plan.length !== session.part_count) {
            this.forgetSession(fingerprint);
            throw new UploadError(ERROR_CODES.UNKNOWN, '', {
                detail: `the sidecar planned ${session.part_count} parts of ${session.part_size} bytes; ` +
                    `the file needs ${plan.length}`,
            });
        }
        // A listed part counts only if its size is the planned one: anything
        // else (a different part size, a truncated part) is sent again.
        const etags = new Map();
        for (const part of listed.parts || []) {
            const planned = plan[part.part_number - 1];
            if (planned && part.etag && part.size === planned.size) {
                etags.set(part.part_number, part.etag);
            }
        }

        const transfer = new PartTransfer(this, run, session, plan, etags);
        await transfer.sendAll();

        this.setState(STATES.COMPLETING, {method: 'multipart'});
        const parts = Array.from(etags, ([partNumber, etag]) => ({part_number: partNumber, etag}))
            .sort((a, b) => a.part_number - b.part_number);
        const result = await this.callApi(run, 'completeMultipart', {upload_id: session.upload_id, parts});
        this.forgetSession(fingerprint);
        return result;
    }
}

/**
 * The parts of one multipart upload on their way to S3: a few at a time,
 * each retried on its own, URLs signed just before they are needed.
 */
class PartTransfer {
    /**
     * @param {UploadEngine} engine
     * @param {object} run
     * @param {object} session The multipart upload (upload_id, part_size, ...).
     * @param {object[]} plan From planParts().
     * @param {Map<number, string>} etags Finished parts; filled as parts finish.
     */
    constructor(engine, run, session, plan, etags) {
        this.engine = engine;
        this.run = run;
        this.session = session;
        this.plan = plan;
        this.etags = etags;
        this.queue = plan.filter(part => !etags.has(part.partNumber));
        this.urls = new Map(); // Part number -> {url, expiresAt}.
        this.signing = new Map(); // Part number -> the pending signParts promise.
        this.checksums = new Map(); // Part number -> base64 SHA-256.
        this.checksumAlgorithm = null;
        if (session.checksum_algorithm) {
            this.useChecksums(session.checksum_algorithm);
        }
        this.inFlightBytes = new Map(); // Part number -> bytes sent of the current attempt.
        this.doneBytes = plan.filter(part => etags.has(part.partNumber)).reduce((sum, part) => sum + part.size, 0);
        this.meter = new ProgressMeter({total: run.file.size, initialBytes: this.doneBytes, now: engine.now});
        // Aborted when one part fails for good, so the others stop too;
        // and whenever the whole upload is cancelled.
        this.controller = new AbortController();
        this.onRunAbort = () => this.controller.abort();
        run.controller.signal.addEventListener('abort', this.onRunAbort);
    }

    /**
     * Sends every part not yet in S3.
     *
     * @return {Promise<void>}
     */
    async sendAll() {
        const engine = this.engine;
        engine.setState(STATES.UPLOADING, {
            method: 'multipart',
            resumedParts: this.etags.size,
            resumedBytes: this.doneBytes,
        });
        engine.onProgress(this.meter.snapshot());
        let failure = null;
        const worker = async() => {
            while (!failure && this.queue.length > 0) {
                const part = this.queue.shift();
                try {
                    const etag = await this.sendPart(part);
                    this.etags.set(part.partNumber, etag);
                    this.doneBytes += part.size;
                    this.reportProgress();
                } catch (error) {
                    if (!failure) {
                        failure = error;
                        this.controller.abort();
                    }
                }
            }
        };
        const workers = [];
        for (let index = 0; index < Math.min(engine.partsInFlight, this.queue.length); index++) {
            workers.push(worker());
        }
        try {
            await Promise.all(workers);
        } finally {
            this.run.controller.signal.removeEventListener('abort', this.onRunAbort);
        }
        engine.throwIfCancelled(this.run);
        if (failure) {
            throw failure;
        }
    }

    /** Reports the bytes of finished parts plus those of parts in flight. */
    reportProgress() {
        let bytes = this.doneBytes;
        for (const sent of this.inFlightBytes.values()) {
            bytes += sent;
        }
        this.engine.report(this.meter, bytes);
    }

    /**
     * Sends one part, retrying it with backoff and re-signing its URL on a 403.
     *
     * @param {object} part From planParts().
     * @return {Promise<string>} S3's ETag for the part.
     */
    async sendPart(part) {
        const engine = this.engine;
        let retries = 0;
        let resigns = 0;
        for (;;) {
            const url = await this.urlFor(part);
            try {
                return await this.putPart(part, url);
            } catch (error) {
                if (error.resign && resigns < MAX_RESIGNS_PER_PART) {
                    resigns++;
                    this.urls.delete(part.partNumber);
                    continue;
                }
                if (!error.retryable || retries >= engine.maxRetries || this.controller.signal.aborted) {
                    throw error;
                }
                const delay = Math.max(backoffDelay(retries, engine.random), error.retryAfterMs || 0);
                retries++;
                try {
                    await engine.sleep(delay, this.controller.signal);
                } catch (aborted) {
                    throw transportError(aborted);
                }
            }
        }
    }

    /**
     * One PUT of one part.
     *
     * @param {object} part
     * @param {string} url
     * @return {Promise<string>} The ETag.
     */
    async putPart(part, url) {
        const headers = {};
        if (this.checksumAlgorithm) {
            headers[CHECKSUM_HEADER] = this.checksums.get(part.partNumber);
        }
        this.inFlightBytes.set(part.partNumber, 0);
        let response;
        try {
            response = await this.engine.transport({
                method: 'PUT',
                url,
                headers,
                body: this.run.file.slice(part.start, part.end),
                signal: this.controller.signal,
                onUploadProgress: loaded => {
                    this.run.reached.storage = this.run.reached.storage || loaded > 0;
                    this.inFlightBytes.set(part.partNumber, Math.min(loaded, part.size));
                    this.reportProgress();
                },
            });
        } catch (error) {
            throw transportError(error, true);
        } finally {
            this.inFlightBytes.delete(part.partNumber);
        }
        this.run.reached.storage = true;
        if (response.status < 200 || response.status >= 300) {
            throw s3ResponseError(response);
        }
        const etag = response.headers.get('ETag');
        if (!etag) {
            // The browser hides response headers that CORS does not expose.
            throw new UploadError(ERROR_CODES.MISCONFIGURED, '', {
                detail: `part ${part.partNumber}: no ETag header readable; the bucket's CORS rule must expose ETag`,
                storage: true,
            });
        }
        return etag;
    }

    /**
     * @param {number} number A part number.
     * @return {boolean} Whether the part has a URL that will not expire in the next minute.
     */
    hasFreshUrl(number) {
        const signed = this.urls.get(number);
        return Boolean(signed) &&
            (signed.expiresAt === null || signed.expiresAt - URL_EXPIRY_MARGIN_MS > this.engine.now());
    }

    /**
     * A URL for the part that will not expire in the next minute, signing a
     * small batch (this part and the next ones in the queue) if needed.
     *
     * @param {object} part
     * @return {Promise<string>}
     */
    async urlFor(part) {
        const number = part.partNumber;
        if (this.hasFreshUrl(number)) {
            return this.urls.get(number).url;
        }
        if (!this.signing.has(number)) {
            const batch = [number];
            for (const next of this.queue) {
                if (batch.length >= this.engine.signBatchSize) {
                    break;
                }
                if (!this.signing.has(next.partNumber) && !this.hasFreshUrl(next.partNumber)) {
                    batch.push(next.partNumber);
                }
            }
            const pending = this.sign(batch).finally(() => batch.forEach(partNumber => {
                if (this.signing.get(partNumber) === pending) {
                    this.signing.delete(partNumber);
                }
            }));
            batch.forEach(partNumber => this.signing.set(partNumber, pending));
        }
        await this.signing.get(number);
        // Freshly signed: used as is, even if the sidecar grants less than the margin.
        const signed = this.urls.get(number);
        if (!signed) {
            throw new UploadError(ERROR_CODES.UNKNOWN, '', {detail: `the sidecar did not sign part ${number}`});
        }
        return signed.url;
    }

    /**
     * Asks the sidecar for presigned UploadPart URLs. When the sidecar wants
     * checksums (checksum_algorithm on its answer), the URLs must sign each
     * part's SHA-256, so the batch is signed again with them.
     *
     * @param {number[]} partNumbers
     * @return {Promise<void>}
     */
    async sign(partNumbers) {
        const engine = this.engine;
        const args = {upload_id: this.session.upload_id, part_numbers: partNumbers};
        if (this.checksumAlgorithm) {
            args.checksums = await this.checksumsFor(partNumbers);
        }
        let answer = await engine.callApi(this.run, 'signParts', args);
        if (answer.checksum_algorithm && !args.checksums) {
            this.useChecksums(answer.checksum_algorithm);
            args.checksums = await this.checksumsFor(partNumbers);
            answer = await engine.callApi(this.run, 'signParts', args);
        }
        const expiresAt = parseExpiry(answer.expires_at);
        for (const signed of answer.parts || []) {
            this.urls.set(signed.part_number, {url: signed.url, expiresAt});
        }
    }

    /**
     * @param {string} algorithm What the sidecar asked for.
     */
    useChecksums(algorithm) {
        if (String(algorithm).toUpperCase() !== 'SHA256') {
            throw new UploadError(ERROR_CODES.UNKNOWN, '', {detail: `unsupported checksum algorithm ${algorithm}`});
        }
        this.checksumAlgorithm = 'SHA256';
    }

    /**
     * The base64 SHA-256 of each part, computed once. Reads each part into
     * memory, one after another, so at most one part is held at a time.
     *
     * @param {number[]} partNumbers
     * @return {Promise<object>} {part_number: base64}
     */
    async checksumsFor(partNumbers) {
        const result = {};
        for (const number of partNumbers) {
            if (!this.checksums.has(number)) {
                const part = this.plan[number - 1];
                this.checksums.set(number, await sha256Base64(this.run.file.slice(part.start, part.end),
                    this.engine.subtle));
            }
            result[number] = this.checksums.get(number);
        }
        return result;
    }
}
