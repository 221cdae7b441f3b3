// This file is part of the s3video assignment submission plugin for Moodle.
//
// It is free software: you can redistribute it and/or modify it under the
// terms of the GNU General Public License as published by the Free Software
// Foundation, either version 3 of the License, or (at your option) any later
// version. It is distributed WITHOUT ANY WARRANTY; see the GNU General Public
// License for details: <http://www.gnu.org/licenses/>.

/**
 * SHA-256 in the browser: the per-part checksums S3 checks (x-amz-checksum-sha256), and the
 * fingerprint that recognises a file chosen again. Parts are read into a few buffers that are
 * reused, so that hashing a 1 GiB file holds two parts in memory, not a pile of them waiting
 * for the garbage collector.
 *
 * @module     assignsubmission_s3video/local/upload/checksums
 * @copyright  2026 s3video contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

const MIB = 1024 * 1024;

/** How much of each end of a file goes into its fingerprint. */
export const FINGERPRINT_SAMPLE_BYTES = MIB;

/** The only per-part checksum the engine computes. */
export const CHECKSUM_HEADER = 'x-amz-checksum-sha256';

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
 * Reads a Blob into `buffer`, which must hold at least blob.size bytes. A byte stream is read
 * straight into it (a BYOB reader, which detaches the buffer it is given and returns it as a new
 * one: use the buffer of the result); else the stream's chunks are copied in.
 *
 * @param {Blob} blob
 * @param {ArrayBuffer} buffer
 * @return {Promise<Uint8Array>} The bytes, a view on the start of the (possibly new) buffer.
 */
export async function readInto(blob, buffer) {
    const size = blob.size;
    const stream = blob.stream();
    let reader;
    try {
        reader = stream.getReader({mode: 'byob'});
    } catch (e) {
        // Not a byte stream: read its chunks below.
        reader = null;
    }
    let offset = 0;
    if (reader) {
        let current = buffer;
        while (offset < size) {
            const {value, done} = await reader.read(new Uint8Array(current, offset, size - offset));
            if (done || !value) {
                break;
            }
            current = value.buffer;
            offset += value.byteLength;
        }
        reader.releaseLock();
        buffer = current;
    } else {
        const target = new Uint8Array(buffer);
        const chunks = stream.getReader();
        for (;;) {
            const {value, done} = await chunks.read();
            if (done) {
                break;
            }
            if (offset + value.byteLength > size) {
                throw new RangeError('readInto: the blob grew while it was read');
            }
            target.set(value, offset);
            offset += value.byteLength;
        }
    }
    if (offset !== size) {
        throw new RangeError(`readInto: read ${offset} of ${size} bytes`);
    }
    return new Uint8Array(buffer, 0, size);
}

/**
 * Hashes parts of a file with a bounded number of reusable buffers: at most `slots` parts are
 * read and hashed at the same time, in the order they were asked for.
 */
export class PartHasher {
    /**
     * @param {object} options
     * @param {SubtleCrypto} options.subtle
     * @param {number} [options.slots] Parts read and hashed at the same time (and buffers kept).
     */
    constructor({subtle, slots = 2}) {
        this.subtle = subtle;
        this.free = Array.from({length: Math.max(1, slots)}, () => null); // Buffers, allocated on first use.
        this.waiting = [];
    }

    /**
     * @param {Blob} blob
     * @return {Promise<string>} The base64 SHA-256 of the blob.
     */
    async sha256Base64(blob) {
        let buffer = this.free.length ? this.free.pop() : await new Promise(resolve => this.waiting.push(resolve));
        try {
            if (!buffer || buffer.byteLength < blob.size) {
                buffer = new ArrayBuffer(blob.size);
            }
            const bytes = await readInto(blob, buffer);
            buffer = bytes.buffer;
            return toBase64(await this.subtle.digest('SHA-256', bytes));
        } catch (error) {
            // The buffer may be detached by a failed read: let the next user allocate another.
            buffer = null;
            throw error;
        } finally {
            const next = this.waiting.shift();
            if (next) {
                next(buffer);
            } else {
                this.free.push(buffer);
            }
        }
    }
}
