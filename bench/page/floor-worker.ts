/** The comlink round-trip floor: a worker whose only method does nothing. */
import * as Comlink from 'comlink';

const api = {
  noop(): void {},
};

export type FloorWorkerApi = typeof api;

Comlink.expose(api);
