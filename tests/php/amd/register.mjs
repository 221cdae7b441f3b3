// Lets Node load the plugin's AMD sources as ES modules: Moodle's core/* modules resolve to the
// fakes beside this file, assignsubmission_s3video/* to the plugin's own sources.
import {register} from 'node:module';

register('./hooks.mjs', import.meta.url);
