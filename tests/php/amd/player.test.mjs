// The Moodle player (moodle_plugin/amd/src/player.js) over a small fake DOM: nothing is requested
// before play, and a failing video is named by the edge's answer (a refused URL renewed once,
// keeping the position and playing on; a format the browser cannot decode; a missing video).

import assert from 'node:assert/strict';
import {before, describe, it} from 'node:test';

import {FakeElement, installDocument, settle} from './fakes/dom.mjs';

const ASSIGNMENT = 7;

/**
 * The markup of templates/player.mustache for one submission.
 *
 * @param {number} submissionid
 * @param {boolean} autoload the view page's full-size player
 * @return {FakeElement}
 */
function playerMarkup(submissionid, autoload) {
    const root = new FakeElement('div', {'data-region': 'assignsubmission_s3video-player', 'data-assignmentid': ASSIGNMENT,
        'data-submissionid': submissionid, 'data-mimetype': 'video/mp4', 'data-autoload': autoload ? '1' : '0'});
    root.appendChild(new FakeElement('div', {'data-region': 'summary'}));
    root.appendChild(new FakeElement('div', {'data-region': 'stage'}));
    root.appendChild(new FakeElement('div', {'data-region': 'message'}));
    const actions = root.appendChild(new FakeElement('div'));
    actions.appendChild(new FakeElement('button', {'data-action': 'play', class: autoload ? 'btn d-none' : 'btn'}));
    actions.appendChild(new FakeElement('button', {'data-action': 'retry', class: 'btn d-none'}));
    actions.appendChild(new FakeElement('button', {'data-action': 'download', class: 'btn'}));
    return root;
}

const SUBMISSIONS = {lazy: 1, expired: 2, refused: 3, unsupported: 4, missing: 5};
const roots = Object.fromEntries(Object.entries(SUBMISSIONS).map(([name, id]) => [name, playerMarkup(id, id % 2 === 1)]));
const {videos} = installDocument(Object.values(roots));

// Moodle: get_playback_url hands out numbered URLs. The edge: what `edge[submission]` says.
const calls = [];
const renewals = new Set(); // players that have had their first URL
const edge = {};
globalThis.moodleAjax = async(methodname, args) => {
    assert.equal(methodname, 'assignsubmission_s3video_get_playback_url');
    // The first URL of a player is a view; a renewal says so (renew: true), and is not counted as one.
    const renewal = renewals.has(args.submissionid);
    assert.deepEqual(Object.keys(args).sort(), renewal ? ['assignmentid', 'renew', 'submissionid']
        : ['assignmentid', 'submissionid']);
    assert.ok(!renewal || args.renew === true);
    renewals.add(args.submissionid);
    calls.push(args.submissionid);
    const n = calls.filter(id => id === args.submissionid).length;
    return {url: `https://edge.example/${args.submissionid}.mp4?n=${n}`, expires_at: Date.now() / 1000 + 3600,
        mime_type: 'video/mp4'};
};
globalThis.fetch = async url => ({status: edge[Number(/\/(\d+)\.mp4/.exec(url)[1])]});

const callsFor = name => calls.filter(id => id === SUBMISSIONS[name]).length;
const message = name => roots[name].querySelector('[data-region="message"]');
const retryShown = name => !roots[name].querySelector('[data-action="retry"]').classList.contains('d-none');

/**
 * Presses the poster of a player and lets it build; returns its video element.
 *
 * @param {string} name
 * @return {Promise<object>}
 */
async function play(name) {
    const before = videos.length;
    roots[name].querySelector('[data-region="poster"]').dispatch('click');
    await settle();
    assert.equal(videos.length, before + 1, 'a video element was built');
    return videos[videos.length - 1];
}

/**
 * The video fails as a browser reports it.
 *
 * @param {object} video
 * @param {number} code MediaError code
 */
async function fail(video, code = 4) {
    video.error = {code};
    video.dispatch('error');
    await settle();
}

describe('the Moodle player', () => {
    before(async() => {
        const {init} = await import('assignsubmission_s3video/player');
        await init({refreshseconds: 0, usevideojs: true});
    });

    it('requests nothing before play, on the view page too, and shows a poster with a play button', () => {
        assert.deepEqual(calls, []);
        assert.equal(videos.length, 0);
        for (const root of Object.values(roots)) {
            const poster = root.querySelector('[data-region="poster"]');
            assert.ok(poster, 'a poster');
            assert.equal(poster.getAttribute('data-action'), 'play');
            assert.ok(!root.querySelector('button[data-action="play"].d-none'), 'the play button shows');
            assert.ok(root.querySelector('[data-action="fullsize"]'), 'a full screen button');
        }
    });

    it('asks for one URL on the first play and plays it', async() => {
        const video = await play('lazy');
        assert.equal(callsFor('lazy'), 1);
        assert.equal(video.sourceUrl, 'https://edge.example/1.mp4?n=1');
        video.dispatch('loadedmetadata');
        assert.equal(video.paused, false, 'pressing play plays');
        assert.equal(roots.lazy.querySelector('[data-region="poster"]'), null);
    });

    it('renews a refused URL once and resumes where it was, playing', async() => {
        edge[SUBMISSIONS.expired] = 403;
        const video = await play('expired');
        video.dispatch('loadedmetadata');
        video.currentTime = 42;
        video.dispatch('timeupdate');
        await fail(video);
        assert.equal(callsFor('expired'), 2);
        assert.equal(video.sourceUrl, 'https://edge.example/2.mp4?n=2');
        video.paused = true; // a new source stops the element
        video.dispatch('loadedmetadata');
        assert.equal(video.currentTime, 42);
        assert.equal(video.paused, false);
        assert.equal(message('expired').textContent, '');
    });

    it('says "access denied" when the fresh URL is refused too, and asks for no more', async() => {
        edge[SUBMISSIONS.refused] = 403;
        const video = await play('refused');
        await fail(video);
        await fail(video);
        await fail(video);
        assert.equal(callsFor('refused'), 2);
        assert.equal(message('refused').textContent, '[player:error:accessdenied]');
        assert.ok(retryShown('refused'));
    });

    it('tells a format the browser cannot decode (the URL answers 206) from a refusal, without renewing', async() => {
        edge[SUBMISSIONS.unsupported] = 206;
        const video = await play('unsupported');
        await fail(video);
        assert.equal(callsFor('unsupported'), 1);
        assert.equal(message('unsupported').textContent, '[player:error:unsupported]');
    });

    it('says a video whose bytes are gone (404) is unavailable, offering Retry, without renewing', async() => {
        edge[SUBMISSIONS.missing] = 404;
        const video = await play('missing');
        await fail(video);
        assert.equal(callsFor('missing'), 1);
        assert.equal(message('missing').textContent, '[player:error:unavailable]');
        assert.ok(retryShown('missing'));
        roots.missing.querySelector('[data-action="retry"]').dispatch('click');
        await settle();
        assert.equal(callsFor('missing'), 2, 'Retry asks again');
    });
});
