// This file is part of the s3video assignment submission plugin for Moodle.
//
// It is free software: you can redistribute it and/or modify it under the
// terms of the GNU General Public License as published by the Free Software
// Foundation, either version 3 of the License, or (at your option) any later
// version. It is distributed WITHOUT ANY WARRANTY; see the GNU General Public
// License for details: <http://www.gnu.org/licenses/>.

/**
 * Where the engine remembers a multipart upload under way, so that the same file chosen again
 * (after a reload, a lost connection) sends only the parts S3 does not hold yet.
 *
 * A record is keyed by the file's fingerprint, in localStorage when the browser allows it.
 * Storage that refuses (quota, privacy mode, a sandboxed frame) only loses the local record:
 * the sidecar still finds the upload by fingerprint.
 *
 * @module     assignsubmission_s3video/local/upload/resume
 * @copyright  2026 s3video contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

export const DEFAULT_STORAGE_PREFIX = 'assignsubmission_s3video/upload/';

/**
 * localStorage if the browser lets us have it: reading the property throws
 * in sandboxed frames and with site data blocked.
 *
 * @return {?Storage}
 */
export function defaultStorage() {
    try {
        return globalThis.localStorage || null;
    } catch (e) {
        return null;
    }
}

/** The resume records of one engine. */
export class ResumeStore {
    /**
     * @param {?Storage} storage localStorage-like; null keeps nothing.
     * @param {string} prefix Prefix of the keys (scope it per submission).
     */
    constructor(storage, prefix = DEFAULT_STORAGE_PREFIX) {
        this.storage = storage;
        this.prefix = prefix;
    }

    /**
     * @param {string} fingerprint
     * @return {?object} The resume record, if any.
     */
    load(fingerprint) {
        if (!this.storage) {
            return null;
        }
        try {
            const text = this.storage.getItem(this.prefix + fingerprint);
            return text ? JSON.parse(text) : null;
        } catch (e) {
            return null;
        }
    }

    /**
     * @param {string} fingerprint
     * @param {object} session
     */
    save(fingerprint, session) {
        if (this.storage) {
            try {
                this.storage.setItem(this.prefix + fingerprint, JSON.stringify(session));
            } catch (e) {
                // Quota or privacy mode: the upload still works, only resume by the sidecar's fingerprint remains.
            }
        }
    }

    /**
     * @param {string} fingerprint
     */
    forget(fingerprint) {
        if (this.storage) {
            try {
                this.storage.removeItem(this.prefix + fingerprint);
            } catch (e) {
                // Nothing to do: a stale record is caught by listParts next time.
            }
        }
    }
}
