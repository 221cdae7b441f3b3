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
 * fetch; the Node tests hand in fakes. The build copies this module and its
 * local/upload/* modules to the sidecar's static folder as ES modules.
 *
 * This module is the API the plugin's other modules and /demo use; each concern has a module
 * of its own under local/upload/: errors (codes, messages), failures (S3's and the sidecar's
 * refusals), transport (XHR, sleep), parts (planning, backoff, expiry), checksums (SHA-256,
 * fingerprint), files (type checks), progress, resume (the records), post, multipart and
 * part_transfer (the pipeline of parts).
 *
 * @module     assignsubmission_s3video/upload_engine
 * @copyright  2026 s3video contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

import {ERROR_CODES, STATES, UploadError, errorMessage} from 'assignsubmission_s3video/local/upload/errors';
import {apiError, failureCause, transportError} from 'assignsubmission_s3video/local/upload/failures';
import {mimeTypeAllowed, resolveMimeType} from 'assignsubmission_s3video/local/upload/files';
import {abortRemote, uploadMultipart} from 'assignsubmission_s3video/local/upload/multipart';
import {backoffDelay} from 'assignsubmission_s3video/local/upload/parts';
import {uploadPost} from 'assignsubmission_s3video/local/upload/post';
import {DEFAULT_STORAGE_PREFIX, ResumeStore, defaultStorage} from 'assignsubmission_s3video/local/upload/resume';
import {createXhrTransport, sleep as defaultSleep} from 'assignsubmission_s3video/local/upload/transport';

// The public API: what the plugin's uploader, /demo and the tests import.
export {CHECKSUM_HEADER, FINGERPRINT_SAMPLE_BYTES, fingerprintFile, sha256Base64}
    from 'assignsubmission_s3video/local/upload/checksums';
export {ERROR_CODES, STATES, TransportError, UploadError, errorMessage, formatBytes}
    from 'assignsubmission_s3video/local/upload/errors';
export {resolveMimeType} from 'assignsubmission_s3video/local/upload/files';
export {MAX_PARTS, backoffDelay, parseExpiry, planParts} from 'assignsubmission_s3video/local/upload/parts';
export {ProgressMeter} from 'assignsubmission_s3video/local/upload/progress';
export {createXhrTransport} from 'assignsubmission_s3video/local/upload/transport';

const defaultTransport = createXhrTransport();

/** Progress with the same percent is reported at most this often. */
const PROGRESS_INTERVAL_MS = 250;

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
        this.resume = new ResumeStore(storage, storagePrefix);
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
                await abortRemote(this, run);
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
            return uploadMultipart(this, run, request);
        }
        if (grant.method === 'post' && grant.upload && grant.upload.url) {
            return uploadPost(this, run, grant, request);
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
     * Records the bytes sent and tells onProgress when the percent changes, the file is all
     * sent, or PROGRESS_INTERVAL_MS passed: the browser fires a progress event every 50 ms or so
     * per request, and a page that redraws its bar (and speaks its status) for each of them
     * spends CPU the upload needs.
     *
     * @param {ProgressMeter} meter
     * @param {number} bytes
     */
    report(meter, bytes) {
        const progress = meter.update(bytes);
        const time = this.now();
        const last = meter.reported;
        if (!last || progress.percent !== last.percent || progress.bytesSent === progress.bytesTotal ||
                time - last.time >= PROGRESS_INTERVAL_MS) {
            meter.reported = {percent: progress.percent, time};
            this.onProgress(progress);
        }
    }
}
