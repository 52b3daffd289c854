/**
 * Worker entry: exposes the API through comlink. Holds nothing that matters: the main thread may
 * terminate it at any moment.
 */
import * as Comlink from 'comlink';
import { createWorkerApi } from './api.js';

Comlink.expose(createWorkerApi());
