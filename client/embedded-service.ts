import type { startEmbeddedService as StartEmbeddedService } from '../stack/embedded-service';

/**
 * Required when used: the embedded service brings Temporal's native runtime and the workflow
 * bundler, which the commands that only talk to a running service should not load at start-up.
 */
export const startEmbeddedService: typeof StartEmbeddedService = (...args) =>
  (require('../stack/embedded-service') as { startEmbeddedService: typeof StartEmbeddedService }).startEmbeddedService(...args);
