// This file is part of the s3video assignment submission plugin for Moodle.
//
// It is free software: you can redistribute it and/or modify it under the
// terms of the GNU General Public License as published by the Free Software
// Foundation, either version 3 of the License, or (at your option) any later
// version. It is distributed WITHOUT ANY WARRANTY; see the GNU General Public
// License for details: <http://www.gnu.org/licenses/>.

/**
 * The HTTP transport for the bytes (XMLHttpRequest, for its upload progress) and the sleep
 * between retries, both abortable.
 *
 * @module     assignsubmission_s3video/local/upload/transport
 * @copyright  2026 s3video contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

import {TransportError} from 'assignsubmission_s3video/local/upload/errors';

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

/**
 * Waits, unless the signal aborts first.
 *
 * @param {number} ms
 * @param {AbortSignal} [signal]
 * @return {Promise<void>}
 */
export function sleep(ms, signal) {
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
