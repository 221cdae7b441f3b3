// This file is part of the s3video assignment submission plugin for Moodle.
//
// It is free software: you can redistribute it and/or modify it under the
// terms of the GNU General Public License as published by the Free Software
// Foundation, either version 3 of the License, or (at your option) any later
// version. It is distributed WITHOUT ANY WARRANTY; see the GNU General Public
// License for details: <http://www.gnu.org/licenses/>.

/**
 * A multipart upload from start to complete: resumed when the same file was started before
 * (the local record, or the sidecar's upload for the fingerprint), else started; the parts S3
 * already holds are skipped, the others sent (part_transfer), then completed. A cancelled
 * upload is aborted so that S3 drops its parts.
 *
 * @module     assignsubmission_s3video/local/upload/multipart
 * @copyright  2026 s3video contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

import {fingerprintFile} from 'assignsubmission_s3video/local/upload/checksums';
import {ERROR_CODES, STATES, UploadError} from 'assignsubmission_s3video/local/upload/errors';
import {uploadIsGone} from 'assignsubmission_s3video/local/upload/failures';
import {PartTransfer} from 'assignsubmission_s3video/local/upload/part_transfer';
import {planParts} from 'assignsubmission_s3video/local/upload/parts';


/**
 * After a cancel: abort the multipart upload so S3 drops its parts.
 *
 * @param {UploadEngine} engine
 * @param {object} run
 */
export async function abortRemote(engine, run) {
    if (!run.uploadId) {
        return;
    }
    if (run.fingerprint) {
        engine.resume.forget(run.fingerprint);
    }
    try {
        await engine.api.abortMultipart({upload_id: run.uploadId});
    } catch (e) {
        // The sidecar's reconciler and S3's lifecycle rule clean up what this misses.
    }
}

/**
 * A multipart upload: resumed if this file was started before, else new.
 *
 * @param {UploadEngine} engine
 * @param {object} run
 * @param {object} request {filename, size, mime_type}
 * @return {Promise<object>} The complete answer.
 */
export async function uploadMultipart(engine, run, request) {
    const file = run.file;
    const fingerprint = await fingerprintFile(file, engine.subtle);
    engine.throwIfCancelled(run);
    run.fingerprint = fingerprint;

    let session = null;
    let listed = null;
    const saved = engine.resume.load(fingerprint);
    if (saved && saved.upload_id && saved.size === file.size) {
        try {
            listed = await engine.callApi(run, 'listParts', {upload_id: saved.upload_id});
            session = saved;
        } catch (error) {
            if (!uploadIsGone(error)) {
                throw error;
            }
            engine.resume.forget(fingerprint);
        }
    }
    if (!session) {
        // A cancel while this call is under way must still abort the upload it creates.
        const started = await engine.callApi(run, 'startMultipart', {...request, fingerprint},
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
        engine.resume.save(fingerprint, session);
        // The sidecar keys uploads by fingerprint too, so a "new" upload
        // may be one it already holds parts of (another browser, cleared storage).
        listed = await engine.callApi(run, 'listParts', {upload_id: session.upload_id});
    }
    run.uploadId = session.upload_id;

    const plan = planParts(file.size, session.part_size);
    if (plan.length !== session.part_count) {
        engine.resume.forget(fingerprint);
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

    const transfer = new PartTransfer(engine, run, session, plan, etags);
    await transfer.sendAll();

    engine.setState(STATES.COMPLETING, {method: 'multipart'});
    const parts = Array.from(etags, ([partNumber, etag]) => ({part_number: partNumber, etag}))
        .sort((a, b) => a.part_number - b.part_number);
    const result = await engine.callApi(run, 'completeMultipart', {upload_id: session.upload_id, parts});
    engine.resume.forget(fingerprint);
    return result;
}
