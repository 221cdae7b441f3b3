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
 * Which browsers will play a video file, read from the file itself before anything is sent.
 *
 * Reads only the first and last MiB (what the fingerprint reads too): in an MP4/QuickTime
 * file the sample descriptions (`stsd`) name the codecs, and the `moov` that holds them
 * sits at one end or the other; a WebM/Matroska file names them as `CodecID` strings in its
 * first bytes. Nothing here talks to the network. The table of which browser plays which
 * codec is the sidecar's (`sdk/probe.py`); a test keeps the two equal.
 *
 * No imports: the build copies this file for the development page as well.
 *
 * @module     assignsubmission_s3video/media_check
 * @copyright  2026 s3video
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

export const SAMPLE_BYTES = 1024 * 1024;

const EVERYWHERE = ['chrome', 'edge', 'firefox', 'safari'];

/** Which browsers play each video codec (as sdk/probe.py says). */
export const VIDEO_SUPPORT = {
    h264: EVERYWHERE,
    vp8: ['chrome', 'edge', 'firefox', 'safari'],
    vp9: ['chrome', 'edge', 'firefox', 'safari 14.1+'],
    av1: ['chrome', 'edge', 'firefox', 'safari 17+ (recent Apple hardware)'],
    hevc: ['safari', 'edge (with the HEVC extension)', 'chrome on some systems'],
    mpeg4: [],
    prores: [],
    mjpeg: [],
};

/** Which browsers play each audio codec (as sdk/probe.py says). */
export const AUDIO_SUPPORT = {
    aac: EVERYWHERE,
    mp3: EVERYWHERE,
    opus: ['chrome', 'edge', 'firefox', 'safari 15+'],
    vorbis: ['chrome', 'edge', 'firefox'],
    flac: EVERYWHERE,
};

const MP4_SAMPLE_ENTRIES = {
    avc1: 'h264', avc3: 'h264', hvc1: 'hevc', hev1: 'hevc', av01: 'av1', vp09: 'vp9', vp08: 'vp8',
    mp4v: 'mpeg4', apch: 'prores', apcn: 'prores', apcs: 'prores', apco: 'prores', ap4h: 'prores',
    ap4x: 'prores', jpeg: 'mjpeg', mjpa: 'mjpeg',
    mp4a: 'aac', Opus: 'opus', fLaC: 'flac', '.mp3': 'mp3',
};
const AUDIO_CODECS = new Set(Object.keys(AUDIO_SUPPORT));

const MATROSKA_CODEC_IDS = {
    'V_MPEG4/ISO/AVC': 'h264', 'V_MPEGH/ISO/HEVC': 'hevc', 'V_VP9': 'vp9', 'V_VP8': 'vp8', 'V_AV1': 'av1',
    'V_MJPEG': 'mjpeg', 'A_AAC': 'aac', 'A_OPUS': 'opus', 'A_VORBIS': 'vorbis', 'A_FLAC': 'flac',
    'A_MPEG/L3': 'mp3',
};

/** How a person knows each codec. */
export const CODEC_NAMES = {
    h264: 'H.264', hevc: 'HEVC (H.265)', vp9: 'VP9', vp8: 'VP8', av1: 'AV1', mpeg4: 'MPEG-4 Part 2',
    prores: 'Apple ProRes', mjpeg: 'Motion JPEG', aac: 'AAC', mp3: 'MP3', opus: 'Opus', vorbis: 'Vorbis',
    flac: 'FLAC',
};

/** What to do about it (the sidecar's EXPORT_ADVICE). */
export const EXPORT_ADVICE = "Export the video as MP4 with H.264 video and AAC audio: on an iPhone set " +
    "Settings > Camera > Formats to 'Most Compatible'; in most editors choose 'H.264' or 'MP4 (H.264)'.";

/**
 * The warning's facts: the codecs by name and the browsers that will play the file.
 *
 * @param {{videoCodec: string, audioCodec: ?string, browsers: string[]}} report
 * @return {{codec: string, browsers: string}}
 */
export function riskFacts(report) {
    const codec = [report.videoCodec, report.audioCodec].filter(Boolean)
        .map(name => CODEC_NAMES[name] || name).join(' / ');
    return {codec, browsers: report.browsers.length ? report.browsers.join(', ') : 'none'};
}

const ascii = (bytes, start, length) => String.fromCharCode(...bytes.subarray(start, start + length));

/**
 * The codecs an MP4/QuickTime buffer's sample descriptions name.
 *
 * @param {Uint8Array} bytes
 * @return {string[]} codec names (see MP4_SAMPLE_ENTRIES), in file order
 */
export function mp4Codecs(bytes) {
    const found = [];
    for (let i = 4; i + 20 <= bytes.length; i++) {
        // 'stsd' then version/flags (4) and entry count (4); the first entry: size (4), type (4).
        if (bytes[i] === 0x73 && bytes[i + 1] === 0x74 && bytes[i + 2] === 0x73 && bytes[i + 3] === 0x64) {
            const codec = MP4_SAMPLE_ENTRIES[ascii(bytes, i + 16, 4)];
            if (codec) {
                found.push(codec);
            }
        }
    }
    return found;
}

/**
 * The codecs a WebM/Matroska buffer's CodecID strings name.
 *
 * @param {Uint8Array} bytes
 * @return {string[]}
 */
export function matroskaCodecs(bytes) {
    const text = ascii(bytes, 0, Math.min(bytes.length, SAMPLE_BYTES));
    return Object.entries(MATROSKA_CODEC_IDS)
        // A CodecID element: its id 0x86, a one-byte size, then the string.
        .filter(([id]) => new RegExp(`\\x86.${id.replace(/[/.]/g, '\\$&')}`).test(text))
        .map(([, codec]) => codec);
}

/**
 * Which browsers play this video/audio pair.
 *
 * @param {string|null} videoCodec
 * @param {string|null} audioCodec
 * @return {{everywhere: boolean, browsers: string[]}}
 */
export function browserSupport(videoCodec, audioCodec) {
    const video = VIDEO_SUPPORT[videoCodec] || [];
    const audio = audioCodec === null ? EVERYWHERE : (AUDIO_SUPPORT[audioCodec] || []);
    const audioNames = new Set(audio.map(name => name.split(' ')[0]));
    const everywhere = EVERYWHERE.every(name => video.includes(name) && audio.includes(name));
    return {everywhere, browsers: video.filter(name => audioNames.has(name.split(' ')[0]))};
}

/**
 * Reads a file's ends and says what it holds, or null when its codecs cannot be told.
 *
 * @param {Blob} file
 * @return {Promise<?{container: string, videoCodec: string, audioCodec: ?string, everywhere: boolean,
 *                    browsers: string[]}>}
 */
export async function inspectVideo(file) {
    const head = new Uint8Array(await file.slice(0, Math.min(file.size, SAMPLE_BYTES)).arrayBuffer());
    let codecs;
    let container;
    if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) {
        container = 'matroska';
        codecs = matroskaCodecs(head);
    } else if (head.length >= 8 && ['ftyp', 'moov', 'mdat', 'wide', 'free'].includes(ascii(head, 4, 4))) {
        container = 'mp4';
        codecs = mp4Codecs(head);
        if (!codecs.some(codec => !AUDIO_CODECS.has(codec)) && file.size > SAMPLE_BYTES) {
            const tail = file.slice(Math.max(SAMPLE_BYTES, file.size - SAMPLE_BYTES));
            codecs = codecs.concat(mp4Codecs(new Uint8Array(await tail.arrayBuffer())));
        }
    } else {
        return null;
    }
    const videoCodec = codecs.find(codec => !AUDIO_CODECS.has(codec)) || null;
    if (!videoCodec) {
        return null;
    }
    const audioCodec = codecs.find(codec => AUDIO_CODECS.has(codec)) || null;
    return {container, videoCodec, audioCodec, ...browserSupport(videoCodec, audioCodec)};
}
