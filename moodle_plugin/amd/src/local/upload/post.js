// This file is part of the s3video assignment submission plugin for Moodle.
//
// It is free software: you can redistribute it and/or modify it under the
// terms of the GNU General Public License as published by the Free Software
// Foundation, either version 3 of the License, or (at your option) any later
// version. It is distributed WITHOUT ANY WARRANTY; see the GNU General Public
// License for details: <http://www.gnu.org/licenses/>.

/**
 * The presigned POST of a whole file (below the sidecar's multipart threshold): sent once,
 * retried on network failures, renewed once if S3 finds the policy expired, then confirmed.
 *
 * @module     assignsubmission_s3video/local/upload/post
 * @copyright  2026 s3video contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

import {ERROR_CODES, STATES, UploadError} from 'assignsubmission_s3video/local/upload/errors';
import {s3ResponseError, transportError} from 'assignsubmission_s3video/local/upload/failures';
import {parseExpiry} from 'assignsubmission_s3video/local/upload/parts';
import {ProgressMeter} from 'assignsubmission_s3video/local/upload/progress';

/**
 * One presigned POST of the whole file, renewed once if S3 finds the policy expired.
 *
 * @param {UploadEngine} engine
 * @param {object} run
 * @param {object} grant The upload-url answer.
 * @param {object} request What requestUpload was asked.
 * @return {Promise<object>} The confirm answer.
 */
export async function uploadPost(engine, run, grant, request) {
    const file = run.file;
    const meter = new ProgressMeter({total: file.size, now: engine.now});
    engine.setState(STATES.UPLOADING, {method: 'post', resumedBytes: 0});
    engine.onProgress(meter.snapshot());
    let current = grant;
    let renewed = false;
    for (;;) {
        const expiresAt = parseExpiry(current.expires_at);
        const alreadyExpired = expiresAt !== null && expiresAt <= engine.now();
        try {
            if (alreadyExpired) {
                // Known dead before sending: no need to push the file to learn it.
                throw new UploadError(ERROR_CODES.EXPIRED, '', {detail: 'the POST policy expired before sending'});
            }
            await engine.withRetries(run, () => postOnce(engine, run, current, meter));
            break;
        } catch (error) {
            if (error.code !== ERROR_CODES.EXPIRED || renewed) {
                throw error;
            }
            renewed = true;
            current = await engine.callApi(run, 'requestUpload', request);
            if (current.method !== 'post' || !current.upload) {
                throw new UploadError(ERROR_CODES.UNKNOWN, '', {detail: 'renewed upload-url answer is not a POST'});
            }
        }
    }
    engine.setState(STATES.COMPLETING, {method: 'post'});
    return engine.callApi(run, 'confirm', {s3_key: current.s3_key});
}

/**
 * @param {UploadEngine} engine
 * @param {object} run
 * @param {object} grant
 * @param {ProgressMeter} meter
 * @return {Promise<void>}
 */
async function postOnce(engine, run, grant, meter) {
    const file = run.file;
    const form = new FormData();
    for (const [name, value] of Object.entries(grant.upload.fields || {})) {
        form.append(name, value);
    }
    // S3 ignores every form field after the file: it must come last.
    form.append('file', file);
    let response;
    try {
        response = await engine.transport({
            method: 'POST',
            url: grant.upload.url,
            headers: {},
            body: form,
            signal: run.controller.signal,
            // The body is the form, a little larger than the file: scale.
            onUploadProgress: (loaded, total) => {
                run.reached.storage = run.reached.storage || loaded > 0;
                engine.report(meter, total ? Math.floor(loaded * file.size / total) : loaded);
            },
        });
    } catch (error) {
        throw transportError(error, true);
    }
    run.reached.storage = true;
    if (response.status < 200 || response.status >= 300) {
        throw s3ResponseError(response);
    }
    engine.report(meter, file.size);
}
