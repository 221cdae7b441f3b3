// This file is part of the s3video assignment submission plugin for Moodle.
//
// It is free software: you can redistribute it and/or modify it under the
// terms of the GNU General Public License as published by the Free Software
// Foundation, either version 3 of the License, or (at your option) any later
// version. It is distributed WITHOUT ANY WARRANTY; see the GNU General Public
// License for details: <http://www.gnu.org/licenses/>.

/**
 * The checks of a chosen file that need no network: its MIME type (from the browser, or else
 * its extension) against the types allowed.
 *
 * @module     assignsubmission_s3video/local/upload/files
 * @copyright  2026 s3video contributors
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */


// Browsers leave File.type empty for some containers (often .mkv, sometimes
// .mov on Windows): fall back to the extension for those.
const MIME_BY_EXTENSION = Object.freeze({
    mp4: 'video/mp4',
    m4v: 'video/mp4',
    mov: 'video/quicktime',
    webm: 'video/webm',
    mkv: 'video/x-matroska',
    avi: 'video/x-msvideo',
    ogv: 'video/ogg',
    mpeg: 'video/mpeg',
    mpg: 'video/mpeg',
    '3gp': 'video/3gpp',
});

/**
 * The file's MIME type, from the browser or else from its extension.
 *
 * @param {File} file
 * @return {string} '' when unknown.
 */
export function resolveMimeType(file) {
    if (file.type) {
        return file.type.toLowerCase();
    }
    const match = /\.([A-Za-z0-9]+)$/.exec(file.name || '');
    return match ? (MIME_BY_EXTENSION[match[1].toLowerCase()] || '') : '';
}

/**
 * @param {string} mimeType
 * @param {string[]} allowed Exact types, or "video/*" wildcards; empty allows all.
 * @return {boolean}
 */
export function mimeTypeAllowed(mimeType, allowed) {
    if (!allowed || allowed.length === 0) {
        return true;
    }
    return allowed.some(pattern => {
        const wanted = pattern.toLowerCase();
        return wanted.endsWith('/*') ? mimeType.startsWith(wanted.slice(0, -1)) : mimeType === wanted;
    });
}
