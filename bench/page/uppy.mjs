// Uppy as shipped, for bench/uploads.py: @uppy/aws-s3 (5.1, in the uppy 5 bundle) with its
// multipart callbacks answered by the benchmark's server (boto3 against the S3 stand-in).
// Parts of 16 MiB, 4 at a time, no checksums: what a site gets from Uppy out of the box.
import {AwsS3, Uppy} from './vendor/uppy.min.mjs';

const params = new URLSearchParams(location.search);
const PART_BYTES = Number(params.get('part') || 16 * 1024 * 1024);
const IN_FLIGHT = Number(params.get('parts') || 4);

const post = async(path, body) => {
    const response = await fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json'},
        body: JSON.stringify(body)});
    if (!response.ok) {
        throw new Error(`${path}: ${response.status}`);
    }
    return response.json();
};

const uppy = new Uppy({autoProceed: false});
uppy.use(AwsS3, {
    limit: IN_FLIGHT,
    shouldUseMultipart: () => true,
    getChunkSize: () => PART_BYTES,
    createMultipartUpload: file => post('/uppy/create', {filename: file.name, type: file.type}),
    signPart: (file, {uploadId, key, partNumber}) => post('/uppy/sign', {uploadId, key, partNumber}),
    completeMultipartUpload: (file, {uploadId, key, parts}) => post('/uppy/complete', {uploadId, key, parts}),
    listParts: () => [],
    abortMultipartUpload: (file, {uploadId, key}) => post('/uppy/abort', {uploadId, key}),
});

const state = document.getElementById('state');
document.getElementById('file').addEventListener('change', async event => {
    const file = event.target.files[0];
    uppy.addFile({name: file.name, type: file.type, data: file});
    state.textContent = 'uploading';
    const started = performance.now();
    const result = await uppy.upload();
    const failed = result ? result.failed.length : 1;
    const end = performance.now();
    window.benchResult = {seconds: (end - started) / 1000, start: performance.timeOrigin + started,
        end: performance.timeOrigin + end, failed};
    state.textContent = failed ? 'failed' : 'done';
});
