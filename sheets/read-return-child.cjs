// A checker process of the pool (see checker-pool.ts). TypeScript runs through tsx, as
// client/bin.cjs runs the CLI, so that no build step stands between a change and a check.
require('tsx/cjs');
require('./read-return-child.ts').serveReadRequests();
