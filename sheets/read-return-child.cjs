// The process that opens a returned file (see read-return-file.ts). TypeScript runs through tsx,
// as client/bin.cjs runs the CLI, so that no build step stands between a change and a check.
require('tsx/cjs');
require('./read-return-child.ts').serveReadRequest();
