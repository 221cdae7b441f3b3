<?php
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
 * English strings for the S3 video submission plugin.
 *
 * @package    assignsubmission_s3video
 * @copyright  2026 The s3video authors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$string['admin:actions'] = 'Actions';
$string['admin:anystatus'] = 'Any status';
$string['admin:assignment'] = 'Assignment';
$string['admin:atrisk'] = 'Ready videos that not every browser plays (HEVC from iPhones, say): {$a}. Their teachers see a warning naming the browsers that do.';
$string['admin:bystatus'] = 'Videos by status';
$string['admin:codecs'] = 'Ready videos by video codec';
$string['admin:confirmdelete'] = 'Delete video {$a}? It can be restored until the grace period set on the video service is over.';
$string['admin:cost'] = 'Estimated AWS cost this month';
$string['admin:count'] = 'Count';
$string['admin:course'] = 'Course';
$string['admin:current'] = '(current)';
$string['admin:dashboard'] = 'Video dashboard';
$string['admin:deleted'] = 'Video {$a} is scheduled for deletion.';
$string['admin:deletedmoodle'] = 'Video {$a} is scheduled for deletion, and the submission in Moodle no longer lists it.';
$string['admin:errorcode'] = 'Error code';
$string['admin:errors'] = 'Errors by code (the period shown, and today)';
$string['admin:filename'] = 'File name';
$string['admin:filter'] = 'Filter';
$string['admin:found'] = '{$a} videos found.';
$string['admin:from'] = 'Uploaded from';
$string['admin:lastdays'] = 'Last {$a} days';
$string['admin:maxsize'] = 'Largest size (bytes)';
$string['admin:minsize'] = 'Smallest size (bytes)';
$string['admin:noerrors'] = 'No errors in this period.';
$string['admin:pages'] = 'Dashboard and video management';
$string['admin:perday'] = 'Uploads and views per day';
$string['admin:restore'] = 'Restore';
$string['admin:restored'] = 'Video {$a} is restored.';
$string['admin:restoredmoodle'] = 'Video {$a} is restored, and the submission in Moodle lists it again.';
$string['admin:size'] = 'Size';
$string['admin:status'] = 'Status';
$string['admin:storage'] = 'Storage';
$string['admin:storagemb'] = 'Storage (MB)';
$string['admin:storageovertime'] = 'Storage over time';
$string['admin:to'] = 'Uploaded until';
$string['admin:today'] = 'Today';
$string['admin:total'] = 'Total';
$string['admin:uploaded'] = 'Uploaded';
$string['admin:uploads'] = 'Uploads';
$string['admin:uploadstoday'] = 'Uploads today';
$string['admin:user'] = 'User';
$string['admin:video'] = 'Video';
$string['admin:videomanagement'] = 'Video management';
$string['admin:videos'] = 'Videos';
$string['admin:views'] = 'Views';
$string['admin:viewstoday'] = 'Views today';
$string['default'] = 'Enabled by default';
$string['default_help'] = 'If set, this submission method will be enabled by default for all new assignments.';
$string['enabled'] = 'Video submissions';
$string['enabled_help'] = 'If enabled, students upload one video for their submission. The video goes straight from the browser to the school\'s video storage, not through Moodle.';
$string['error:accessdenied'] = 'Access denied: you are not allowed to do this with this video.';
$string['error:auth'] = 'Moodle could not authenticate to the video service. Ask the site administrator to check the key id, the shared secret and the server clock.';
$string['error:closed:cutoff'] = 'The cut-off date of this assignment has passed ({$a}). No new video can be uploaded.';
$string['error:closed:gradelocked'] = 'Your grade for this assignment is locked in the gradebook, so the submission can no longer be changed.';
$string['error:closed:locked'] = 'Your submission is locked: a teacher has stopped changes to it. No new video can be uploaded.';
$string['error:closed:notingroup'] = 'You are not in a group, and this assignment requires a group to submit. Ask your teacher to add you to one.';
$string['error:closed:notopen'] = 'Submissions to this assignment are not open yet. No video can be uploaded before {$a}.';
$string['error:closed:submitted'] = 'Your submission has been submitted for grading, so it can no longer be changed. Ask your teacher to revert it to draft if you need to replace the video.';
$string['error:conflict'] = 'The video is not in a state that allows this (for example, the upload has not finished yet). Reload the page and try again.';
$string['error:invalid'] = 'The video service could not accept the request: {$a}';
$string['error:notconfigured'] = 'Video submissions are not set up yet: the site administrator must enter the video service URL, key id and secret.';
$string['error:notenabled'] = 'Video submissions are not enabled in this assignment.';
$string['error:notfound'] = 'The video was not found. It may have been deleted, or the upload never finished.';
$string['error:ratelimited'] = 'Too many requests in a short time. Wait {$a} seconds and try again.';
$string['error:submissionclosed'] = 'You cannot change this submission now (it is submitted, locked, or past its deadline).';
$string['error:toolarge'] = 'The video is too large for the video service.';
$string['error:toolargeforassignment'] = 'The video is too large: this assignment accepts videos up to {$a}.';
$string['error:typenotallowed'] = 'This type of file is not accepted by the video service.';
$string['error:typenotallowedforsite'] = 'This type of file is not accepted. Accepted types: {$a}.';
$string['error:unavailable'] = 'The video service is temporarily unavailable. Try again in a few minutes.';
$string['error:unexpected'] = 'The video service gave an unexpected answer (HTTP {$a}). Try again later; if it persists, tell the site administrator.';
$string['error:unreachable'] = 'Moodle cannot reach the video service. Try again in a few minutes; if it persists, tell the site administrator.';
$string['error:wrongsubmission'] = 'That submission does not belong to this assignment.';
$string['eventassessableuploaded'] = 'A video has been uploaded.';
$string['logsummary'] = 'Video: {$a->filename} ({$a->size}, {$a->mimetype}).';
$string['maxbytes'] = 'Maximum video size';
$string['maxbytes_help'] = 'The largest video a student may upload in this assignment.';
$string['media:faststart'] = 'fast start';
$string['media:fps'] = '{$a} fps';
$string['media:kbps'] = '{$a} kbit/s';
$string['media:mbps'] = '{$a} Mbit/s';
$string['media:noaudio'] = 'no sound';
$string['media:nofaststart'] = 'no fast start (the browser loads the end of the file before playing)';
$string['media:noteverywhere'] = 'Not every browser plays {$a->codec} video (it plays in: {$a->browsers}).';
$string['media:pending'] = 'The video is being checked; its details appear here shortly.';
$string['media:posteralt'] = 'A frame of the video {$a}';
$string['media:rotation'] = 'rotated {$a}°';
$string['media:unplayable'] = 'This file cannot be played: {$a}';
$string['messagesummary'] = 'Video: {$a->filename} ({$a->size})';
$string['novideo'] = 'No video submitted';
$string['player:codecwarning'] = 'This video is {$a->codec}, which not every browser plays (it plays in: {$a->browsers}). If it stays black or silent, try one of those browsers, or ask for an MP4 with H.264 video.';
$string['player:download'] = 'Download';
$string['player:error:accessdenied'] = 'You do not have access to this video.';
$string['player:error:cdn'] = 'The video could not be loaded from the video network. Press Try again.';
$string['player:error:expired'] = 'The video link expired; getting a fresh one…';
$string['player:error:unavailable'] = 'This video is unavailable. It may have been deleted or still be processing.';
$string['player:error:unsupported'] = 'Your browser cannot play this video format ({$a}). Download it instead.';
$string['player:fullscreen'] = 'Full screen';
$string['player:loading'] = 'Loading the video…';
$string['player:play'] = 'Play video';
$string['player:retry'] = 'Try again';
$string['pluginname'] = 'Video submissions (S3)';
$string['privacy:metadata:sidecar'] = 'Videos are stored by the s3video sidecar (and the cloud storage behind it), not in Moodle. Moodle tells it who is uploading or watching a video.';
$string['privacy:metadata:sidecar:assignment'] = 'The assignment the video was submitted to.';
$string['privacy:metadata:sidecar:course'] = 'The course the video belongs to.';
$string['privacy:metadata:sidecar:filename'] = 'The name of the uploaded video file.';
$string['privacy:metadata:sidecar:roles'] = 'Whether the user acts as a student, a grader or an administrator.';
$string['privacy:metadata:sidecar:submission'] = 'The submission the video belongs to.';
$string['privacy:metadata:sidecar:user'] = 'The id of the user who uploads or watches a video.';
$string['privacy:metadata:sidecar:video'] = 'The video itself.';
$string['privacy:metadata:table'] = 'Moodle\'s record of the video in each submission.';
$string['privacy:metadata:table:checksum'] = 'The submission receipt: the SHA-256 of the video as the storage computed it.';
$string['privacy:metadata:table:filename'] = 'The name of the uploaded video file.';
$string['privacy:metadata:table:filesize'] = 'The size of the video in bytes.';
$string['privacy:metadata:table:mimetype'] = 'The type of the video.';
$string['privacy:metadata:table:submission'] = 'The submission the video belongs to.';
$string['privacy:metadata:table:timeconfirmed'] = 'When the video service confirmed the video.';
$string['privacy:metadata:table:timemodified'] = 'When the video was last changed.';
$string['privacy:path'] = 'Video';
$string['receipt'] = 'Receipt: SHA-256 {$a->checksum} ({$a->type}); {$a->bytes} bytes ({$a->size}); confirmed {$a->time}';
$string['receipt:composite'] = 'multipart: SHA-256 of the parts\' SHA-256';
$string['receipt:fullobject'] = 'whole file';
$string['receipt:unknown'] = 'as the storage reported it';
$string['restorednote'] = 'This video was restored from a backup or copied from another attempt; it is played from its original submission.';
$string['s3video'] = 'Video';
$string['settings:allowedtypes'] = 'Allowed video types';
$string['settings:allowedtypes_desc'] = 'MIME types students may upload, separated by spaces or commas. Keep this list within the sidecar\'s s3video.allowed_mime_types.';
$string['settings:checkconnection'] = 'Connection';
$string['settings:connection'] = 'Video service';
$string['settings:connection_desc'] = 'Moodle asks the s3video sidecar for upload and playback permissions; the video bytes never pass through Moodle. Enter the sidecar\'s address and the key it shares with Moodle.';
$string['settings:connectionfailed'] = 'The sidecar does not answer as expected: {$a}';
$string['settings:connectionkeyok'] = 'The sidecar at {$a->url} answers, its database and storage are working, and it accepts the key {$a->keyid}.';
$string['settings:connectionold'] = 'The sidecar at {$a} answers, but it does not know GET /whoami, the call the connection check uses to test the key: update the sidecar.';
$string['settings:connecttimeout'] = 'Connect timeout';
$string['settings:connecttimeout_desc'] = 'Seconds Moodle waits to connect to the sidecar before it gives up.';
$string['settings:keyid'] = 'Key id';
$string['settings:keyid_desc'] = 'The id of the shared key, as listed in the sidecar\'s s3video.hmac_keys setting (the part before the colon).';
$string['settings:limits'] = 'Uploads and playback';
$string['settings:maxbytes'] = 'Default maximum video size';
$string['settings:maxbytes_desc'] = 'The largest video a student may upload, unless an assignment sets a smaller limit. The sidecar enforces its own limit (s3video.max_upload_bytes) as well; keep this at or below it.';
$string['settings:partsinflight'] = 'Parallel parts';
$string['settings:partsinflight_desc'] = 'How many parts of a large (multipart) upload the browser sends at the same time.';
$string['settings:playbackexpiry'] = 'Refresh playback links';
$string['settings:playbackexpiry_desc'] = 'The player asks for a fresh signed link once its link is this old, even if the link would last longer; 0 renews a link only when it expires. The sidecar\'s s3video.playback_expiry_seconds sets how long links last. A renewed link keeps the viewer\'s position.';
$string['settings:secret'] = 'Shared secret';
$string['settings:secret_desc'] = 'The secret of that key (the part after the colon in s3video.hmac_keys), at least 16 characters. It signs every request; it is never sent.';
$string['settings:sidecarurl'] = 'Sidecar URL';
$string['settings:sidecarurl_desc'] = 'The base address of the s3video sidecar as Moodle reaches it, for example https://video.school.example or http://10.0.0.5:6543. Moodle calls it from the server, so a private address is fine.';
$string['settings:timeout'] = 'Request timeout';
$string['settings:timeout_desc'] = 'Seconds Moodle waits for a whole answer from the sidecar.';
$string['sitedefault'] = 'Site default ({$a})';
$string['summary'] = '{$a->filename} ({$a->size})';
$string['task:copyrestoredvideo'] = 'Copy the video of a restored submission';
$string['task:deleteassignmentvideos'] = 'Delete the videos of a deleted assignment';
$string['upload:anyway'] = 'Upload anyway';
$string['upload:cancel'] = 'Cancel';
$string['upload:cancelled'] = 'The upload was cancelled.';
$string['upload:choose'] = 'Choose a video';
$string['upload:confirming'] = 'Checking the upload…';
$string['upload:current'] = 'Current video: {$a->filename} ({$a->size})';
$string['upload:done'] = 'Uploaded {$a->filename} ({$a->size}) as a draft. Press "Save changes" to make it your submission; Cancel discards it.';
$string['upload:draftnote'] = 'A video you upload here is a draft until you press "Save changes".';
$string['upload:error:expired'] = 'The upload permission expired; a fresh one is being requested.';
$string['upload:error:misconfigured'] = 'The site is misconfigured: your browser may not send videos to the video storage. Tell your administrator (storage CORS).';
$string['upload:error:missing'] = 'This upload or its video no longer exists: it may have been deleted or replaced. Choose the file again to start a new upload.';
$string['upload:error:network'] = 'The connection was lost during the upload. Check your connection and press Retry: the upload continues where it stopped when possible.';
$string['upload:error:notallowed'] = 'You are not allowed to upload a video here.';
$string['upload:error:s3error'] = 'The video storage refused the upload. Try again in a few minutes; if it keeps failing, tell your teacher.';
$string['upload:error:toolarge'] = 'This video is too large: the limit is {$a}. Shorten it or export it at a lower resolution, then try again.';
$string['upload:error:typenotallowed'] = 'This file type is not accepted. Upload a video in one of these formats: {$a}.';
$string['upload:error:unknown'] = 'The upload failed for an unexpected reason. Try again; if it keeps failing, tell your teacher.';
$string['upload:hoursleft'] = '{$a->hours} h {$a->minutes} min';
$string['upload:leavewarning'] = 'A video is still uploading. Leaving the page stops it.';
$string['upload:limits'] = 'Up to {$a->maxsize}; {$a->types}.';
$string['upload:minutesleft'] = '{$a->minutes} min {$a->seconds} s';
$string['upload:notconfirmed'] = 'The uploaded video could not be confirmed. Upload it again.';
$string['upload:notowner'] = 'Only the student can upload their video.';
$string['upload:preparing'] = 'Preparing the upload…';
$string['upload:progress'] = '{$a->percent}% — {$a->speed}/s — {$a->timeleft} left';
$string['upload:progressnospeed'] = '{$a->percent}%';
$string['upload:replacenote'] = 'A video you upload now is kept as a draft: it replaces the current video only when you press "Save changes". Cancel keeps the current video.';
$string['upload:resuming'] = 'Resuming an earlier upload of this file…';
$string['upload:retry'] = 'Retry';
$string['upload:secondsleft'] = '{$a} s';
$string['upload:submitnote'] = 'This assignment also asks you to press "Submit assignment" once your video is saved: until then your teacher sees your submission as a draft, and you can still replace the video.';
$string['upload:uploading'] = 'Uploading {$a->filename}';
$string['upload:warning:advice'] = 'Export the video as MP4 with H.264 video and AAC audio: on an iPhone set Settings > Camera > Formats to \'Most Compatible\'; in most editors choose \'H.264\' or \'MP4 (H.264)\'.';
$string['upload:warning:codec'] = 'This video is {$a->codec}: not every browser can play it (it plays in: {$a->browsers}). Your teacher may see a black screen.';
