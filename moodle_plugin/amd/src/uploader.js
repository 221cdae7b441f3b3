// This file is part of Moodle - https://moodle.org/
//
// Moodle is free software: you can redistribute it and/or modify
// it under the terms of the GNU General Public License as published by
// the Free Software Foundation, either version 3 of the License, or
// (at your option) any later version.
//
// Moodle is distributed in the hope that it will be useful,
// but WITHOUT ANY WARRANTY; without even the implied warranty of
// MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
// GNU General Public License for more details.
//
// You should have received a copy of the GNU General Public License
// along with Moodle.  If not, see <https://www.gnu.org/licenses/>.

/**
 * The submission form's video upload widget (templates/upload_form.mustache).
 *
 * The upload itself is assignsubmission_s3video/upload_engine's: this module hands it the
 * plugin's external functions (through core/ajax) as its api, shows its progress, and turns its
 * errors into the plugin's language strings. When the sidecar has confirmed the video, its key
 * goes into the form's hidden field, so that "Save changes" records it.
 *
 * @module     assignsubmission_s3video/uploader
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

import {UploadEngine, STATES, ERROR_CODES, formatBytes} from 'assignsubmission_s3video/upload_engine';
import {inspectVideo, riskFacts} from 'assignsubmission_s3video/media_check';
import Ajax from 'core/ajax';
import {get_strings as getStrings} from 'core/str';
import Notification from 'core/notification';

const COMPONENT = 'assignsubmission_s3video';

/**
 * The plugin's exceptions (their lang string identifiers) as the HTTP statuses the engine reasons about.
 * Anything else Moodle throws (an expired session, say) counts as a 500: not retried, its message shown.
 */
const STATUS_BY_ERRORCODE = {
    'error:invalid': 400,
    'error:auth': 401,
    'error:accessdenied': 403,
    'error:submissionclosed': 403,
    'error:notenabled': 403,
    'error:notfound': 404,
    'error:conflict': 409,
    'error:toolarge': 413,
    'error:toolargeforassignment': 413,
    'error:typenotallowed': 415,
    'error:typenotallowedforsite': 415,
    'error:ratelimited': 429,
    'error:unavailable': 503,
    'error:unreachable': 503,
};

/**
 * The strings this module shows, fetched once.
 *
 * @return {Promise<object>} identifier => text (with its {$a} placeholders)
 */
const loadStrings = async() => {
    const requests = [
        {key: 'upload:preparing', component: COMPONENT},
        {key: 'upload:uploading', component: COMPONENT},
        {key: 'upload:progress', component: COMPONENT},
        {key: 'upload:progressnospeed', component: COMPONENT},
        {key: 'upload:resuming', component: COMPONENT},
        {key: 'upload:confirming', component: COMPONENT},
        {key: 'upload:done', component: COMPONENT},
        {key: 'upload:cancelled', component: COMPONENT},
        {key: 'upload:leavewarning', component: COMPONENT},
        {key: 'upload:secondsleft', component: COMPONENT},
        {key: 'upload:minutesleft', component: COMPONENT},
        {key: 'upload:hoursleft', component: COMPONENT},
        {key: 'upload:error:toolarge', component: COMPONENT},
        {key: 'upload:error:typenotallowed', component: COMPONENT},
        {key: 'upload:error:network', component: COMPONENT},
        {key: 'upload:error:expired', component: COMPONENT},
        {key: 'upload:error:s3error', component: COMPONENT},
        {key: 'upload:error:notallowed', component: COMPONENT},
        {key: 'upload:error:missing', component: COMPONENT},
        {key: 'upload:error:misconfigured', component: COMPONENT},
        {key: 'upload:error:unknown', component: COMPONENT},
        {key: 'upload:warning:codec', component: COMPONENT},
        {key: 'upload:warning:advice', component: COMPONENT},
        {key: 'upload:anyway', component: COMPONENT},
    ];
    const texts = await getStrings(requests);
    const strings = {};
    requests.forEach((request, index) => {
        strings[request.key] = texts[index];
    });
    return strings;
};

/**
 * Moodle's placeholder substitution: {$a} and {$a->name}.
 *
 * @param {string} text
 * @param {*} a
 * @return {string}
 */
const fill = (text, a) => text.replace(/\{\$a(?:->(\w+))?\}/g, (placeholder, name) => {
    if (name) {
        return a && a[name] !== undefined ? String(a[name]) : placeholder;
    }
    return a !== undefined && typeof a !== 'object' ? String(a) : placeholder;
});

/**
 * Seconds left, readable.
 *
 * @param {object} strings
 * @param {number} seconds
 * @return {string}
 */
const formatDuration = (strings, seconds) => {
    if (seconds < 60) {
        return fill(strings['upload:secondsleft'], seconds);
    }
    if (seconds < 3600) {
        return fill(strings['upload:minutesleft'], {minutes: Math.floor(seconds / 60), seconds: seconds % 60});
    }
    return fill(strings['upload:hoursleft'], {hours: Math.floor(seconds / 3600), minutes: Math.floor(seconds / 60) % 60});
};

/**
 * The engine's api: the plugin's external functions, with the sidecar's argument and answer shapes.
 *
 * @param {number} assignmentid
 * @param {function(object): void} onFailure sees every Moodle exception (for its message)
 * @return {object}
 */
export const createApi = (assignmentid, onFailure) => {
    const call = async(name, args) => {
        try {
            return await Ajax.call([{methodname: `${COMPONENT}_${name}`, args: {assignmentid, ...args}}])[0];
        } catch (exception) {
            if (exception && exception.errorcode) {
                const failure = Object.assign(new Error(exception.message || ''), {
                    status: STATUS_BY_ERRORCODE[exception.errorcode] || 500,
                    code: exception.errorcode,
                });
                onFailure(failure);
                throw failure;
            }
            // No answer from Moodle at all: the engine retries these.
            const detail = (exception && (exception.message || exception.statusText)) || '';
            throw Object.assign(new Error(detail), {status: 0, code: 'network'});
        }
    };
    return {
        requestUpload: async({filename, size, mime_type: mimetype}) => {
            const answer = await call('get_upload_url', {filename, filesize: size, mimetype});
            if (answer.upload) {
                const fields = {};
                answer.upload.fields.forEach(field => {
                    fields[field.name] = field.value;
                });
                answer.upload = {url: answer.upload.url, fields};
            }
            return answer;
        },
        confirm: ({s3_key: s3key}) => call('confirm_upload', {s3key}),
        startMultipart: ({filename, size, mime_type: mimetype, fingerprint}) =>
            call('start_multipart', {filename, filesize: size, mimetype, fingerprint: fingerprint || ''}),
        signParts: ({upload_id: uploadid, part_numbers: partnumbers, checksums}) => call('sign_parts', {
            uploadid,
            partnumbers,
            checksums: Object.entries(checksums || {}).map(([partnumber, sha256]) => ({partnumber: Number(partnumber), sha256})),
        }),
        listParts: ({upload_id: uploadid}) => call('list_parts', {uploadid}),
        completeMultipart: ({upload_id: uploadid, parts}) => call('complete_multipart', {
            uploadid,
            parts: parts.map(part => ({partnumber: part.part_number, etag: part.etag})),
        }),
        abortMultipart: ({upload_id: uploadid}) => call('abort_multipart', {uploadid}),
    };
};

/**
 * Wire one upload widget.
 *
 * @param {object} config from assign_submission_s3video::get_form_elements_for_user()
 * @param {string} config.root selector of the widget's root element
 * @param {string} config.field name of the form's hidden field for the S3 key
 * @param {number} config.assignmentid assign instance id
 * @param {number} config.maxbytes the assignment's size limit
 * @param {string} config.maxsize the same, readable
 * @param {string[]} config.types allowed MIME types
 * @param {number} config.partsinflight parts sent at the same time (multipart)
 * @return {Promise<void>}
 */
export const init = async(config) => {
    const root = document.querySelector(config.root);
    if (!root || root.dataset.initialised) {
        return;
    }
    root.dataset.initialised = '1';
    const form = root.closest('form');
    const field = form ? form.querySelector(`input[name="${config.field}"]`) : null;
    const ui = {
        input: root.querySelector('[data-action="choose"]'),
        progress: root.querySelector('[data-region="progress"]'),
        bar: root.querySelector('[data-region="bar"]'),
        status: root.querySelector('[data-region="status"]'),
        message: root.querySelector('[data-region="message"]'),
        retry: root.querySelector('[data-action="retry"]'),
        cancel: root.querySelector('[data-action="cancel"]'),
    };
    // Listen at once: a file chosen while the strings load waits for them instead of being lost.
    // A file chosen before this module ran at all is in the input already: it is taken too.
    let begin = null;
    let queued = ui.input.files && ui.input.files.length ? ui.input.files[0] : null;
    ui.input.addEventListener('change', () => {
        if (ui.input.files && ui.input.files.length) {
            if (begin) {
                begin(ui.input.files[0]);
            } else {
                queued = ui.input.files[0];
            }
        }
    });
    const strings = await loadStrings().catch(Notification.exception);
    if (!strings) {
        return;
    }
    const show = (element, visible) => element.classList.toggle('d-none', !visible);
    const say = (element, text, tone) => {
        element.textContent = text || '';
        element.className = element.dataset.region === 'message' && text ? `small alert alert-${tone || 'info'} mt-1` :
            'small';
    };

    let failure = null;
    let engine = null;
    let file = null;
    let uploading = false;

    // A file not every browser plays: warned before any byte is sent; "Upload anyway" goes on.
    let accepted = null;
    const warning = document.createElement('div');
    warning.dataset.region = 'mediawarning';
    warning.setAttribute('role', 'alert');
    warning.className = 'small alert alert-warning mt-1 d-none';
    const warningText = document.createElement('p');
    warningText.className = 'mb-1';
    const anyway = document.createElement('button');
    anyway.type = 'button';
    anyway.className = 'btn btn-secondary btn-sm';
    anyway.dataset.action = 'uploadanyway';
    anyway.textContent = strings['upload:anyway'];
    warning.append(warningText, anyway);
    ui.message.after(warning);
    const playableOrAccepted = async chosen => {
        show(warning, false);
        if (accepted === chosen) {
            return true;
        }
        const report = await inspectVideo(chosen).catch(() => null);
        if (!report || report.everywhere) {
            return true;
        }
        warningText.textContent = `${fill(strings['upload:warning:codec'], riskFacts(report))} ` +
            strings['upload:warning:advice'];
        show(warning, true);
        return false;
    };

    const onProgress = ({percent, bytesPerSecond, secondsLeft}) => {
        ui.bar.style.width = `${percent}%`;
        ui.bar.setAttribute('aria-valuenow', String(percent));
        ui.bar.textContent = `${percent}%`;
        const known = bytesPerSecond !== null && secondsLeft !== null && percent < 100;
        say(ui.status, known ? fill(strings['upload:progress'], {
            percent,
            speed: formatBytes(bytesPerSecond),
            timeleft: formatDuration(strings, secondsLeft),
        }) : fill(strings['upload:progressnospeed'], {percent}));
    };

    const onStateChange = (state, info) => {
        if (state === STATES.PREPARING) {
            say(ui.status, strings['upload:preparing']);
        } else if (state === STATES.UPLOADING) {
            show(ui.progress, true);
            say(ui.message, info.resumedBytes ? strings['upload:resuming'] : '');
        } else if (state === STATES.COMPLETING) {
            say(ui.status, strings['upload:confirming']);
        }
    };

    const onError = error => {
        const limits = {
            [ERROR_CODES.TOO_LARGE]: () => fill(strings['upload:error:toolarge'], config.maxsize),
            [ERROR_CODES.TYPE_NOT_ALLOWED]: () => fill(strings['upload:error:typenotallowed'], config.types.join(', ')),
            [ERROR_CODES.NETWORK]: () => strings['upload:error:network'],
            [ERROR_CODES.EXPIRED]: () => strings['upload:error:expired'],
            // Moodle's own refusal says why when it has words for it (a closed submission...).
            [ERROR_CODES.NOT_ALLOWED]: () => (failure && failure.message) || strings['upload:error:notallowed'],
            [ERROR_CODES.MISSING]: () => strings['upload:error:missing'],
            [ERROR_CODES.MISCONFIGURED]: () => strings['upload:error:misconfigured'],
            [ERROR_CODES.CANCELLED]: () => strings['upload:cancelled'],
        };
        let text;
        if (limits[error.code]) {
            text = limits[error.code]();
        } else if (failure && failure.message) {
            // Moodle refused a call (closed submission, sidecar down...): its own message says why.
            text = failure.message;
        } else {
            text = strings[error.code === ERROR_CODES.S3_ERROR ? 'upload:error:s3error' : 'upload:error:unknown'];
        }
        say(ui.status, '');
        say(ui.message, text, error.code === ERROR_CODES.CANCELLED ? 'info' : 'danger');
        const retryable = ![ERROR_CODES.TOO_LARGE, ERROR_CODES.TYPE_NOT_ALLOWED, ERROR_CODES.CANCELLED,
            ERROR_CODES.NOT_ALLOWED].includes(error.code);
        show(ui.retry, retryable);
        if (window.console && error.detail) {
            window.console.warn(`assignsubmission_s3video: ${error.code}: ${error.detail}`);
        }
    };

    const start = async chosen => {
        if (engine) {
            await engine.cancel();
        }
        if (!await playableOrAccepted(chosen)) {
            file = chosen;
            return; // nothing sent: the warning asks first
        }
        file = chosen;
        failure = null;
        uploading = true;
        show(ui.retry, false);
        show(ui.cancel, true);
        show(ui.progress, false);
        say(ui.message, '');
        const current = engine = new UploadEngine({
            api: createApi(config.assignmentid, seen => {
                failure = seen;
            }),
            onProgress,
            onStateChange,
            onError,
            partsInFlight: config.partsinflight,
            maxBytes: config.maxbytes,
            allowedMimeTypes: config.types,
            storagePrefix: `${COMPONENT}/upload/${config.assignmentid}/`,
        });
        try {
            const video = await current.upload(chosen);
            if (field) {
                field.value = video.s3_key;
            }
            say(ui.status, '');
            say(ui.message, fill(strings['upload:done'], {filename: video.filename, size: video.displaysize}), 'success');
        } catch (error) {
            // Shown by onError already.
        } finally {
            if (engine === current) {
                engine = null;
                uploading = false;
                show(ui.cancel, false);
            }
        }
    };

    begin = start;
    if (queued) {
        start(queued);
    }
    anyway.addEventListener('click', () => {
        if (file) {
            accepted = file;
            start(file);
        }
    });
    ui.retry.addEventListener('click', () => {
        if (file) {
            start(file);
        }
    });
    ui.cancel.addEventListener('click', () => {
        if (engine) {
            engine.cancel();
        }
    });
    window.addEventListener('beforeunload', event => {
        if (uploading) {
            event.preventDefault();
            event.returnValue = strings['upload:leavewarning'];
        }
    });
};
