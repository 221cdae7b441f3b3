// The upload widget (moodle_plugin/amd/src/uploader.js, init) over a small fake DOM: a file chosen
// while its strings are still loading is uploaded once they are there (issue 13.12), and Moodle's
// refusals are named as such (issue 18.11).

import assert from 'node:assert/strict';
import {describe, it} from 'node:test';

import {init} from '../../../moodle_plugin/amd/src/uploader.js';
import {makeFile} from '../../js/fakes.mjs';
import {FakeElement, installDocument, settle} from './fakes/dom.mjs';

const ASSIGNMENT = 7;

/**
 * templates/upload_form.mustache's regions, under a root with this id.
 *
 * @param {string} id
 * @return {{root: FakeElement, input: FakeElement, message: FakeElement, retry: FakeElement}}
 */
function widget(id) {
    const root = new FakeElement('div', {id});
    const input = root.appendChild(new FakeElement('input', {'data-action': 'choose'}));
    input.files = [];
    const progress = root.appendChild(new FakeElement('div', {'data-region': 'progress'}));
    progress.appendChild(new FakeElement('div', {'data-region': 'bar'}));
    root.appendChild(new FakeElement('div', {'data-region': 'status'}));
    const message = root.appendChild(new FakeElement('div', {'data-region': 'message'}));
    const retry = root.appendChild(new FakeElement('button', {'data-action': 'retry', class: 'd-none'}));
    root.appendChild(new FakeElement('button', {'data-action': 'cancel', class: 'd-none'}));
    return {root, input, message, retry};
}

/**
 * A page with one widget, whose Moodle refuses get_upload_url with `refusal`.
 *
 * @param {object} refusal what core/ajax rejects with
 * @return {object}
 */
function page(refusal) {
    const parts = widget('upload1');
    const {document} = installDocument([parts.root]);
    document.querySelector = selector => (selector === '#upload1' ? parts.root : null);
    const calls = [];
    globalThis.moodleAjax = async(methodname, args) => {
        calls.push({methodname, args});
        throw refusal;
    };
    const config = {root: '#upload1', field: 's3key', assignmentid: ASSIGNMENT, maxbytes: 1 << 30, maxsize: '1 GB',
        types: ['video/mp4'], partsinflight: 2};
    return {...parts, calls, config};
}

/**
 * Holds core/str's answers back until the returned function is called.
 *
 * @return {function(): void}
 */
function holdStrings() {
    let release;
    globalThis.moodleStringsGate = new Promise(resolve => {
        release = resolve;
    });
    return () => {
        release();
        globalThis.moodleStringsGate = undefined;
    };
}

describe('the upload widget', () => {
    it('uploads a file chosen while its strings were loading, once they are there', async() => {
        const release = holdStrings();
        const {input, message, calls, config} = page({errorcode: 'error:accessdenied', message: ''});
        const started = init(config);
        input.files = [makeFile(100, {name: 'early.mp4'})];
        input.dispatch('change');
        await settle();
        assert.deepEqual(calls, [], 'nothing before the strings');
        release();
        await started;
        await settle(50);
        assert.equal(calls.length, 1);
        assert.equal(calls[0].methodname, 'assignsubmission_s3video_get_upload_url');
        assert.equal(calls[0].args.filename, 'early.mp4');
        // A 403 without words of Moodle's own: "not allowed", and no Retry (it would be refused again).
        assert.equal(message.textContent, '[upload:error:notallowed]');
    });

    it('takes a file chosen before the module ran at all', async() => {
        const {input, calls, config} = page({errorcode: 'error:notfound', message: ''});
        input.files = [makeFile(100, {name: 'before.mp4'})];
        await init(config);
        await settle(50);
        assert.equal(calls.length, 1);
        assert.equal(calls[0].args.filename, 'before.mp4');
    });

    it('shows Moodle\'s own words for a refusal (a closed submission), without Retry', async() => {
        const {input, message, retry, config} = page({errorcode: 'error:submissionclosed',
            message: 'You cannot change this submission now.'});
        await init(config);
        input.files = [makeFile(100)];
        input.dispatch('change');
        await settle(50);
        assert.equal(message.textContent, 'You cannot change this submission now.');
        assert.ok(retry.classList.contains('d-none'));
    });

    it('names a missing upload (404) as such', async() => {
        const {input, message, config} = page({errorcode: 'error:notfound', message: 'The video was not found.'});
        await init(config);
        input.files = [makeFile(100)];
        input.dispatch('change');
        await settle(50);
        assert.equal(message.textContent, '[upload:error:missing]');
    });

    it('warns about an HEVC file before anything is asked or sent; "Upload anyway" goes on', async() => {
        const {root, input, message, calls, config} = page({errorcode: 'error:notfound', message: ''});
        await init(config);
        input.files = [hevcFile()];
        input.dispatch('change');
        await settle(50);
        const warning = [...root.descendants()].find(element => element.dataset.region === 'mediawarning');
        assert.ok(!warning.classList.contains('d-none'), 'the warning shows');
        assert.match(warning.children[0].textContent, /^\[upload:warning:codec\] \[upload:warning:advice\]$/);
        assert.deepEqual(calls, [], 'nothing asked of Moodle, nothing sent');
        assert.equal(message.textContent, '');
        warning.children[1].dispatch('click');
        await settle(50);
        assert.equal(calls.length, 1);
        assert.ok(warning.classList.contains('d-none'));
    });
});

/**
 * A file whose sample description names HEVC (`hvc1`), as an iPhone's .mov/.mp4 does.
 *
 * @return {File}
 */
function hevcFile() {
    const box = (type, payload) => {
        const bytes = new Uint8Array(8 + payload.length);
        new DataView(bytes.buffer).setUint32(0, bytes.length);
        bytes.set(new TextEncoder().encode(type), 4);
        bytes.set(payload, 8);
        return bytes;
    };
    const entry = box('hvc1', new Uint8Array(78));
    const stsd = box('stsd', new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1, ...entry]));
    const ftyp = box('ftyp', new TextEncoder().encode('qt  \0\0\0\0qt  '));
    return new File([ftyp, box('moov', stsd)], 'iphone.mp4', {type: 'video/mp4', lastModified: 1700000000000});
}
