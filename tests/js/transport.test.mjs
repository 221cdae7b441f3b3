// The default XMLHttpRequest transport, driven through a fake XHR.

import assert from 'node:assert/strict';
import {describe, it} from 'node:test';

import {TransportError, createXhrTransport} from '../../moodle_plugin/amd/src/upload_engine.js';

/** Records what the transport does to it; the test plays the network. */
class FakeXhr {
    constructor() {
        FakeXhr.last = this;
        this.headers = {};
        this.upload = {};
        this.aborted = false;
        this.status = 0;
        this.responseText = '';
        this.responseHeaders = {};
    }

    open(method, url, async) {
        Object.assign(this, {method, url, async});
    }

    setRequestHeader(name, value) {
        this.headers[name] = value;
    }

    getResponseHeader(name) {
        return this.responseHeaders[name.toLowerCase()] ?? null;
    }

    send(body) {
        this.body = body;
    }

    abort() {
        this.aborted = true;
        this.onabort();
    }

    progress(loaded, total) {
        this.upload.onprogress({lengthComputable: true, loaded, total});
    }

    answer(status, headers = {}, text = '') {
        Object.assign(this, {status, responseHeaders: headers, responseText: text});
        this.onload();
    }
}

/** Timers the test fires by hand. */
function manualTimers() {
    const timers = new Map();
    let next = 0;
    return {
        setTimeout: (fn, ms) => {
            timers.set(++next, {fn, ms});
            return next;
        },
        clearTimeout: id => timers.delete(id),
        pending: () => Array.from(timers.values()),
        fire: () => {
            const [[id, timer]] = timers;
            timers.delete(id);
            timer.fn();
        },
    };
}

describe('createXhrTransport', () => {
    it('sends the headers and body, forwards progress and exposes the answer', async() => {
        const timers = manualTimers();
        const send = createXhrTransport({XMLHttpRequest: FakeXhr, ...timers});
        const progress = [];
        const pending = send({
            method: 'PUT',
            url: 'https://s3.test/part',
            headers: {'x-amz-checksum-sha256': 'abc='},
            body: 'bytes',
            onUploadProgress: (loaded, total) => progress.push([loaded, total]),
        });
        const xhr = FakeXhr.last;
        assert.deepEqual([xhr.method, xhr.url, xhr.async, xhr.body], ['PUT', 'https://s3.test/part', true, 'bytes']);
        assert.deepEqual(xhr.headers, {'x-amz-checksum-sha256': 'abc='});
        xhr.progress(2, 5);
        xhr.progress(5, 5);
        xhr.answer(200, {etag: '"e1"'});
        const response = await pending;
        assert.deepEqual(progress, [[2, 5], [5, 5]]);
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('ETag'), '"e1"');
        assert.equal(timers.pending().length, 0, 'the stall watchdog is disarmed once answered');
    });

    it('turns a connection error into a network TransportError', async() => {
        const send = createXhrTransport({XMLHttpRequest: FakeXhr, ...manualTimers()});
        const pending = send({method: 'POST', url: 'https://s3.test/', body: null});
        FakeXhr.last.onerror();
        await assert.rejects(pending, error => error instanceof TransportError && error.kind === 'network');
    });

    it('aborts a request that makes no progress for stallTimeoutMs, as a network failure', async() => {
        const timers = manualTimers();
        const send = createXhrTransport({XMLHttpRequest: FakeXhr, stallTimeoutMs: 30000, ...timers});
        const pending = send({method: 'PUT', url: 'https://s3.test/part', body: 'x'});
        const xhr = FakeXhr.last;
        xhr.progress(1, 10);
        // Progress re-arms the watchdog: one timer, for the full period.
        assert.deepEqual(timers.pending().map(timer => timer.ms), [30000]);
        timers.fire();
        assert.equal(xhr.aborted, true);
        await assert.rejects(pending, error => error.kind === 'network' && /stalled/.test(error.message));
    });

    it('aborts on the signal, as "aborted"', async() => {
        const send = createXhrTransport({XMLHttpRequest: FakeXhr, ...manualTimers()});
        const controller = new AbortController();
        const pending = send({method: 'PUT', url: 'https://s3.test/part', body: 'x', signal: controller.signal});
        controller.abort();
        assert.equal(FakeXhr.last.aborted, true);
        await assert.rejects(pending, error => error.kind === 'aborted');
        await assert.rejects(send({method: 'PUT', url: 'u', body: 'x', signal: controller.signal}),
            error => error.kind === 'aborted');
    });
});
