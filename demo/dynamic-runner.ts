/**
 * The runner of dynamic tools: the app's side of `createDynamicToolStore({ runner })`. A dynamic tool
 * is module code whose default export is `(args, ctx) => result`. The runner evaluates it in its own
 * sandbox, always untrusted (validated and tamed, whatever the playground's policy says), with no host
 * tools and no host modules; `prepareDynamicToolModule` turns the module into one call of its default
 * export with the arguments and `{ deps }` installed as globals.
 */
import {
  DYNAMIC_TOOL_GLOBALS, createSandbox, definePolicy, prepareDynamicToolModule, type DynamicToolRunner, type EventSink, type Policy, type Sandbox,
} from '../src/index.js';

/** A runner and the sandbox behind it (recreated with the playground's policy). */
export interface DynamicRunner {
  run: DynamicToolRunner;
  sandbox: Sandbox;
  dispose(): Promise<void>;
}

/**
 * Creates the runner. Its sandbox uses the `webApi` preset with the playground's limits: a dynamic
 * tool never runs with dangerous operations on, even when the playground's policy allows them.
 */
export function createDynamicRunner(limitsFrom: Policy, audit: EventSink): DynamicRunner {
  const policy = definePolicy({ preset: 'webApi', limits: { ...limitsFrom.limits } });
  const sandbox = createSandbox({ policy, audit, standby: false });
  const run: DynamicToolRunner = async (code, args, ctx) => {
    const user = typeof ctx.deps.user === 'string' ? ctx.deps.user : undefined;
    const out = await sandbox.run(prepareDynamicToolModule(code), {
      trusted: false,
      sourceType: 'module',
      filename: `tool-${ctx.tool}.js`,
      signal: ctx.signal,
      globals: { [DYNAMIC_TOOL_GLOBALS.args]: args, [DYNAMIC_TOOL_GLOBALS.deps]: ctx.deps },
      ...(user === undefined ? {} : { user }),
    });
    return out.value;
  };
  return { run, sandbox, dispose: () => sandbox.dispose() };
}
