/**
 * Worker entry: exposes the API through comlink. Holds nothing that matters: the main thread may
 * terminate it at any moment.
 */
import * as Comlink from 'comlink';
import { createWorkerApi } from './api.js';

const api = createWorkerApi();
// quickjs-emscripten reports a failed C-to-host callback only through console.error
// ("[C to host ...]") and then continues; route it to the engine so the module is rebuilt.
const consoleError = console.error.bind(console);
console.error = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].startsWith('[C to host')) api.reportCallbackFault(args[1]);
  else consoleError(...args);
};
Comlink.expose(api);
