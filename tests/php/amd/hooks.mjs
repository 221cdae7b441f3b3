// Module resolution for the AMD tests (see register.mjs).
const here = new URL('./', import.meta.url);
const amd = new URL('../../../moodle_plugin/amd/src/', import.meta.url);

export async function resolve(specifier, context, next) {
    if (/^core\/[a-z_]+$/.test(specifier)) {
        return {url: new URL(`fakes/${specifier.slice(5)}.mjs`, here).href, shortCircuit: true};
    }
    if (specifier.startsWith('assignsubmission_s3video/')) {
        return {url: new URL(`${specifier.slice('assignsubmission_s3video/'.length)}.js`, amd).href, shortCircuit: true};
    }
    return next(specifier, context);
}
