// Fakes for the upload engine's seams: an in-memory S3 behind a transport,
// a sidecar api over it, storage, and a file maker. They keep real bytes so
// that tests can compare the stored object with the file.

import {createHash} from 'node:crypto';

import {TransportError} from '../../moodle_plugin/amd/src/upload_engine.js';

export const BUCKET_URL = 'https://s3.test/videos-bucket';

/**
 * A File of `size` bytes whose content is position-dependent, so a part sent
 * to the wrong offset shows in the assembled object.
 */
export function makeFile(size, {name = 'lecture.mp4', type = 'video/mp4', lastModified = 1700000000000} = {}) {
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
        bytes[i] = (i * 31 + (i >> 8)) & 0xff;
    }
    return new File([bytes], name, {type, lastModified});
}

export async function bytesOf(blob) {
    return new Uint8Array(await blob.arrayBuffer());
}

export function sha256Base64Of(bytes) {
    return createHash('sha256').update(bytes).digest('base64');
}

export class MemoryStorage {
    constructor() {
        this.items = new Map();
    }

    getItem(key) {
        return this.items.has(key) ? this.items.get(key) : null;
    }

    setItem(key, value) {
        this.items.set(key, String(value));
    }

    removeItem(key) {
        this.items.delete(key);
    }
}

/** A clock the test moves by hand. */
export function manualClock(start = 1_800_000_000_000) {
    const clock = () => clock.time;
    clock.time = start;
    clock.advance = ms => {
        clock.time += ms;
    };
    return clock;
}

/** A sleep that records the delays asked for and returns at once (unless aborted). */
export function recordingSleep() {
    const sleep = async(ms, signal) => {
        sleep.delays.push(ms);
        if (signal && signal.aborted) {
            throw new TransportError('aborted', 'aborted while sleeping');
        }
    };
    sleep.delays = [];
    return sleep;
}

const s3Error = (status, code, message) => ({
    status,
    headers: {get: () => null},
    body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
});

export const S3_ANSWERS = {
    urlExpired: () => s3Error(403, 'AccessDenied', 'Request has expired'),
    policyExpired: () => s3Error(403, 'AccessDenied', 'Invalid according to Policy: Policy expired.'),
    signatureMismatch: () => s3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match'),
    slowDown: () => s3Error(503, 'SlowDown', 'Please reduce your request rate.'),
    network: () => {
        throw new TransportError('network', 'connection reset');
    },
};

/**
 * S3 as the browser sees it: presigned POST and UploadPart over a transport.
 * `intercept()` scripts failures; without one, requests succeed.
 */
export class FakeS3 {
    constructor() {
        this.objects = new Map(); // Key -> Uint8Array.
        this.uploads = new Map(); // Upload id -> {key, parts: Map(number -> {bytes, etag})}.
        this.expectedChecksums = new Map(); // Signed URL -> checksum bound into its signature.
        this.requests = [];
        this.rules = [];
        this.inFlight = 0;
        this.maxInFlight = 0;
        this.aborted = 0;
        this.sendEtag = true;
        // Numbers upload ids and keys, shared by every api over this S3.
        this.sequence = 0;
        this.transport = request => this.handle(request);
    }

    /**
     * Answers the next `times` requests that match with `action(request)`:
     * a response, a thrown error, or a promise.
     */
    intercept(match, action, times = 1) {
        this.rules.push({match, action, times});
    }

    /** A request that hangs until its signal aborts it. */
    static hang(request) {
        return new Promise((resolve, reject) => {
            request.signal.addEventListener('abort', () => reject(new TransportError('aborted', 'aborted')));
        });
    }

    partRequests() {
        return this.requests.filter(request => request.method === 'PUT');
    }

    async handle(request) {
        const url = new URL(request.url);
        const entry = {
            method: request.method,
            url: request.url,
            partNumber: Number(url.searchParams.get('partNumber')) || null,
            headers: {...request.headers},
            body: request.body,
        };
        this.requests.push(entry);
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        try {
            // Let other requests start, so concurrency is observable.
            await new Promise(resolve => setImmediate(resolve));
            if (request.signal && request.signal.aborted) {
                throw new TransportError('aborted', 'aborted');
            }
            const rule = this.rules.find(candidate => candidate.times > 0 && candidate.match(entry));
            if (rule) {
                rule.times--;
                return await rule.action(request);
            }
            return request.method === 'POST' ? await this.post(request) : await this.putPart(request, url);
        } catch (error) {
            if (error instanceof TransportError && error.kind === 'aborted') {
                this.aborted++;
            }
            throw error;
        } finally {
            this.inFlight--;
        }
    }

    async post(request) {
        const form = request.body;
        const names = Array.from(form.keys());
        if (names[names.length - 1] !== 'file') {
            return s3Error(400, 'InvalidArgument', 'the file must be the last field');
        }
        const file = form.get('file');
        const bytes = await bytesOf(file);
        // Report progress in two steps, as a browser does on a fast link.
        request.onUploadProgress(Math.floor(bytes.length / 2) + 100, bytes.length + 200);
        request.onUploadProgress(bytes.length + 200, bytes.length + 200);
        this.objects.set(form.get('key'), bytes);
        return {status: 204, headers: {get: () => null}, body: ''};
    }

    async putPart(request, url) {
        const upload = this.uploads.get(url.searchParams.get('uploadId'));
        if (!upload) {
            return s3Error(404, 'NoSuchUpload', 'The specified upload does not exist.');
        }
        const bytes = await bytesOf(request.body);
        const expected = this.expectedChecksums.get(request.url);
        const sent = request.headers['x-amz-checksum-sha256'];
        if (expected !== undefined && sent !== expected) {
            // The header is part of the signature: a different value breaks it.
            return s3Error(403, 'SignatureDoesNotMatch', 'checksum header differs from the signed one');
        }
        if (sent !== undefined && sent !== sha256Base64Of(bytes)) {
            return s3Error(400, 'BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
        }
        request.onUploadProgress(Math.floor(bytes.length / 2), bytes.length);
        request.onUploadProgress(bytes.length, bytes.length);
        const partNumber = Number(url.searchParams.get('partNumber'));
        const etag = `"etag-${partNumber}-${bytes.length}"`;
        upload.parts.set(partNumber, {bytes, etag});
        return {status: 200, headers: {get: name => (name.toLowerCase() === 'etag' && this.sendEtag ? etag : null)}, body: ''};
    }
}

/**
 * The sidecar's calls as the engine sees them, over a FakeS3. `calls` records
 * every call; `failures[name]` holds errors to throw on the next calls.
 */
export function makeApi(s3, {
    threshold = Infinity,
    partSize = 1024,
    maxSize = 1 << 30,
    checksum = null, // 'declared' (on startMultipart) or 'discovered' (on signParts only).
    expiresAt = () => '2099-01-01T00:00:00Z',
} = {}) {
    let signature = 0;
    const api = {
        calls: [],
        failures: {},
        byFingerprint: new Map(),
    };
    const record = (name, args) => {
        api.calls.push({name, args: structuredClone(args)});
        const queued = api.failures[name];
        if (queued && queued.length) {
            throw queued.shift();
        }
    };
    api.callsOf = name => api.calls.filter(call => call.name === name);
    const findUpload = uploadId => {
        const upload = s3.uploads.get(uploadId);
        if (!upload) {
            throw Object.assign(new Error('No such upload.'), {status: 404, code: 'not_found'});
        }
        return upload;
    };

    api.requestUpload = async args => {
        record('requestUpload', args);
        const key = `videos/7/${++s3.sequence}_abc/${args.filename}`;
        if (args.size > threshold) {
            return {video_id: s3.sequence, s3_key: key, expires_at: expiresAt(), max_size: maxSize, method: 'multipart'};
        }
        return {
            video_id: s3.sequence,
            s3_key: key,
            expires_at: expiresAt(),
            max_size: maxSize,
            method: 'post',
            upload: {
                url: BUCKET_URL,
                fields: {'key': key, 'Content-Type': args.mime_type, 'policy': `policy-${s3.sequence}`, 'x-amz-signature': 'sig'},
            },
        };
    };
    api.confirm = async args => {
        record('confirm', args);
        const bytes = s3.objects.get(args.s3_key);
        if (!bytes) {
            throw Object.assign(new Error('The object is not in storage.'), {status: 409, code: 'absent'});
        }
        return {status: 'ready', s3_key: args.s3_key, file_size: bytes.length};
    };
    api.startMultipart = async args => {
        record('startMultipart', args);
        const uploadId = `upload-${++s3.sequence}`;
        const key = `videos/7/${s3.sequence}_abc/${args.filename}`;
        s3.uploads.set(uploadId, {key, parts: new Map()});
        api.byFingerprint.set(args.fingerprint, uploadId);
        const answer = {
            video_id: s3.sequence,
            s3_key: key,
            upload_id: uploadId,
            part_size: partSize,
            part_count: Math.ceil(args.size / partSize),
            expires_at: expiresAt(),
        };
        if (checksum === 'declared') {
            answer.checksum_algorithm = 'SHA256';
        }
        return answer;
    };
    api.signParts = async args => {
        record('signParts', args);
        const upload = findUpload(args.upload_id);
        signature++;
        const parts = args.part_numbers.map(number => {
            const url = `${BUCKET_URL}/${upload.key}?uploadId=${args.upload_id}&partNumber=${number}&sig=${signature}`;
            if (args.checksums) {
                s3.expectedChecksums.set(url, args.checksums[number]);
            } else if (checksum) {
                // Signed without a checksum while the sidecar requires one:
                // S3 would refuse the missing header.
                s3.expectedChecksums.set(url, 'required-but-missing');
            }
            return {part_number: number, url};
        });
        const answer = {parts, expires_at: expiresAt()};
        if (checksum) {
            answer.checksum_algorithm = 'SHA256';
        }
        return answer;
    };
    api.listParts = async args => {
        record('listParts', args);
        const upload = findUpload(args.upload_id);
        return {
            parts: Array.from(upload.parts, ([number, part]) => ({part_number: number, etag: part.etag, size: part.bytes.length})),
        };
    };
    api.completeMultipart = async args => {
        record('completeMultipart', args);
        const upload = findUpload(args.upload_id);
        const chunks = args.parts.map(({part_number: number, etag}) => {
            const part = upload.parts.get(number);
            if (!part || part.etag !== etag) {
                throw Object.assign(new Error(`InvalidPart ${number}`), {status: 409});
            }
            return part.bytes;
        });
        const object = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
        let offset = 0;
        for (const chunk of chunks) {
            object.set(chunk, offset);
            offset += chunk.length;
        }
        s3.objects.set(upload.key, object);
        s3.uploads.delete(args.upload_id);
        return {status: 'ready', s3_key: upload.key, file_size: object.length};
    };
    api.abortMultipart = async args => {
        record('abortMultipart', args);
        s3.uploads.delete(args.upload_id);
    };
    return api;
}

/** Everything an engine test needs, with the fakes wired in. */
export function harness({apiOptions = {}, engineOptions = {}, storage = new MemoryStorage(), s3 = new FakeS3()} = {}) {
    const api = makeApi(s3, apiOptions);
    const events = {progress: [], states: [], errors: []};
    const sleep = recordingSleep();
    const options = {
        api,
        storage,
        transport: s3.transport,
        sleep,
        random: () => 0.5,
        onProgress: progress => events.progress.push(progress),
        onStateChange: state => events.states.push(state),
        onError: error => events.errors.push(error),
        ...engineOptions,
    };
    return {s3, api, storage, sleep, events, options};
}
