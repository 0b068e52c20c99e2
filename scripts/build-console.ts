/**
 * Prebuilds the console into dist/console (the image does this; set CONSOLE_DIST to serve it).
 * Without it the API bundles the console in memory on first use, which is what npm start does.
 */
import path from 'node:path';
import { buildConsole } from '../api/console';

const outdir = path.resolve(process.argv[2] ?? 'dist/console');
buildConsole({ outdir })
  .then((assets) => console.log(`console built into ${outdir}: ${[...assets.files.keys()].join(', ')}`))
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
