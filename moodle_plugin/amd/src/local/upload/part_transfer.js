// This file is part of the s3video assignment submission plugin for Moodle.
//
// It is free software: you can redistribute it and/or modify it under the
// terms of the GNU General Public License as published by the Free Software
// Foundation, either version 3 of the License, or (at your option) any later
// version. It is distributed WITHOUT ANY WARRANTY; see the GNU General Public
// License for details: <http://www.gnu.org/licenses/>.

/**
 * The parts of one multipart upload on their way to S3, as a pipeline: while `partsInFlight`
 * parts are PUT, the next parts are read and hashed (SHA-256, at most two at a time in reused
 * buffers) and their URLs signed in small batches, before the parts in flight finish. So a
 * finished part is followed at once by the next PUT, and the page holds a bounded number of
 * part-sized buffers whatever the file's size. Each part is retried on its own; a 403 re-signs
 * its URL; a URL about to expire is signed again before use.
 *
 * @module     assignsubmission_s3video/local/upload/part_transfer
 * @copyright  2026 s3video contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

import {CHECKSUM_HEADER, PartHasher} from 'assignsubmission_s3video/local/upload/checksums';
import {ERROR_CODES, STATES, UploadError} from 'assignsubmission_s3video/local/upload/errors';
import {s3ResponseError, transportError} from 'assignsubmission_s3video/local/upload/failures';
import {backoffDelay, parseExpiry} from 'assignsubmission_s3video/local/upload/parts';
import {ProgressMeter} from 'assignsubmission_s3video/local/upload/progress';

// A URL this close to its expiry is re-signed before use: a part sent on an
// almost expired URL would fail with 403 and be sent again.
const URL_EXPIRY_MARGIN_MS = 60 * 1000;

// A 403 on a freshly signed URL is not an expiry problem; re-signing forever
// would hide a configuration error (clock skew, wrong key, bucket policy).
const MAX_RESIGNS_PER_PART = 2;

// Parts read and hashed at the same time: one read from disk while another is digested.
const HASHES_IN_FLIGHT = 2;

/** Makes a promise nobody may wait for safe to reject (its waiters, if any, still see the error). */
const quiet = promise => {
    promise.catch(() => undefined);
    return promise;
};

export class PartTransfer {
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
        this.checksums = new Map(); // Part number -> promise of its base64 SHA-256.
        this.hasher = new PartHasher({subtle: engine.subtle, slots: HASHES_IN_FLIGHT});
        // The parts after those in flight that are hashed and signed ahead of their turn.
        this.lookahead = engine.partsInFlight + engine.signBatchSize;
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
        this.prepareAhead();
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

    /**
     * Gets the next parts ready while those in flight are sent: hashes the next `lookahead`
     * parts (when checksums are used) and, once fewer than a batch of them have a URL, signs
     * the next batch. Called before the first part and whenever a part has its URL.
     */
    prepareAhead() {
        if (this.controller.signal.aborted) {
            return;
        }
        const upcoming = this.queue.slice(0, this.lookahead);
        if (this.checksumAlgorithm) {
            upcoming.forEach(part => this.checksumFor(part.partNumber));
        }
        const unsigned = upcoming.map(part => part.partNumber)
            .filter(number => !this.signing.has(number) && !this.hasFreshUrl(number));
        if (unsigned.length > 0 && upcoming.length - unsigned.length < this.engine.signBatchSize) {
            this.startSigning(unsigned.slice(0, this.engine.signBatchSize));
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
            this.prepareAhead();
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
     * One PUT of one part: the body is a slice of the file, which the browser streams from disk.
     *
     * @param {object} part
     * @param {string} url
     * @return {Promise<string>} The ETag.
     */
    async putPart(part, url) {
        const headers = {};
        if (this.checksumAlgorithm) {
            headers[CHECKSUM_HEADER] = await this.checksumFor(part.partNumber);
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
            this.startSigning(batch);
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
     * Signs a batch, recording the pending call for each of its parts until it settles.
     *
     * @param {number[]} batch Part numbers.
     */
    startSigning(batch) {
        const pending = quiet(this.sign(batch).finally(() => batch.forEach(partNumber => {
            if (this.signing.get(partNumber) === pending) {
                this.signing.delete(partNumber);
            }
        })));
        batch.forEach(partNumber => this.signing.set(partNumber, pending));
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
     * The base64 SHA-256 of a part, computed once (the hasher bounds how many parts are read at a time).
     *
     * @param {number} number A part number.
     * @return {Promise<string>}
     */
    checksumFor(number) {
        if (!this.checksums.has(number)) {
            const part = this.plan[number - 1];
            this.checksums.set(number, quiet(this.hasher.sha256Base64(this.run.file.slice(part.start, part.end))));
        }
        return this.checksums.get(number);
    }

    /**
     * @param {number[]} partNumbers
     * @return {Promise<object>} {part_number: base64}
     */
    async checksumsFor(partNumbers) {
        const result = {};
        for (const number of partNumbers) {
            result[number] = await this.checksumFor(number);
        }
        return result;
    }
}
