/**
 * Flood aggregation. Threat: a guest (or a user driving it) emits thousands of events so that
 * storage fills and retention erases older evidence, or so that the evidence drowns in noise.
 *
 * Never folded: the first event of each (type, rule, user) in a window, whatever the key pressure,
 * so every kind of thing a user tried is on record one by one at least once. (`rule` is
 * `details.rule` when the event has one; up to 65,536 such firsts are tracked per window.)
 *
 * Events are grouped by a flood key: type + severity + tool + scope, where scope is the run when the
 * event has a run id, else the user. Within a window of `windowMs` starting at a key's first event,
 * the first `threshold` events are stored one by one; every further event of that key is folded into
 * ONE aggregate entry (count, first, last, one sample) that is written when the window closes, on
 * `flush()`, on `pagehide` and on `dispose()`. Severity is part of the key, so a high-severity event
 * is never hidden inside an aggregate of low-severity ones.
 */
import { CODE_SOURCE, type PendingCode } from './code-hash.js';
import type { JsonValue, PreparedEvent } from './model.js';

/** Aggregation settings. */
export interface AggregateConfig {
  /** Events of one key stored individually per window. Default 20. */
  threshold: number;
  /** Window length in ms. Default 60,000. */
  windowMs: number;
  /** Distinct keys tracked at once; beyond it, keys collapse per type+severity. Default 1024. */
  maxKeys: number;
}

interface Aggregate {
  id: string;
  first: number;
  last: number;
  count: number;
  sample: PreparedEvent;
  users: Set<string>;
  tools: Set<string>;
  runs: Set<string>;
  agents: Set<string>;
}

interface KeyState {
  start: number;
  seen: number;
  aggregate?: Aggregate;
}

const DISTINCT_CAP = 16;
const addCapped = (set: Set<string>, value: string | undefined) => {
  if (set.size <= DISTINCT_CAP) set.add(value ?? '');
};

const MAX_FIRSTS = 65_536;

/** What {@link FloodAggregator.admit} decided. */
export interface Admission {
  /** Events to store now (the event itself, a closed aggregate, both, or nothing). */
  store: PreparedEvent[];
  /** Id of the entry that will hold the event: its own id, or the id of the aggregate it was folded into. */
  id: string;
}

/** Tracks flood keys and folds excess events into aggregates. */
export class FloodAggregator {
  private readonly states = new Map<string, KeyState>();
  /**
   * A lower bound of the earliest `start` among `states` (exact after a drain). While no window can
   * have closed, a full table skips the drain: without this, every event recorded while the table
   * is full (any steady stream of runs) walked all `maxKeys` states.
   */
  private minStart = Number.POSITIVE_INFINITY;
  /** (type, rule, user) triples already stored one by one in the current firsts window. */
  private firsts = new Set<string>();
  private firstsStart = Number.NEGATIVE_INFINITY;

  constructor(private readonly config: AggregateConfig, private readonly newId: () => string) {}

  /** Decides where `event` goes; see {@link Admission}. */
  admit(event: PreparedEvent): Admission {
    const out: PreparedEvent[] = [];
    if (event.time - this.firstsStart >= this.config.windowMs || event.time < this.firstsStart) {
      this.firsts = new Set();
      this.firstsStart = event.time;
    }
    const rule = typeof event.details?.rule === 'string' ? event.details.rule : '';
    const triple = `${event.type}\u0000${rule}\u0000${event.user ?? ''}`;
    const first = !this.firsts.has(triple) && this.firsts.size < MAX_FIRSTS;
    if (first) this.firsts.add(triple);
    const scope = event.runId !== undefined ? `r:${event.runId}` : `u:${event.user ?? ''}`;
    let key = `${event.type}\u0000${event.severity}\u0000${event.tool ?? ''}\u0000${scope}`;
    if (!this.states.has(key) && this.states.size >= this.config.maxKeys) {
      // drain(now, false) only acts on closed windows; none can be closed before minStart's.
      if (event.time - this.minStart >= this.config.windowMs) out.push(...this.drain(event.time, false));
      // Still full: many distinct keys at once is itself a flood; fold them per type+severity.
      if (this.states.size >= this.config.maxKeys) key = `${event.type}\u0000${event.severity}\u0000*`;
    }
    let state = this.states.get(key);
    // A clock moved back (time < start) keeps the window open rather than resetting the count.
    if (state && event.time - state.start >= this.config.windowMs) {
      if (state.aggregate) out.push(this.emit(state.aggregate));
      this.states.delete(key);
      state = undefined;
    }
    if (!state) {
      state = { start: event.time, seen: 0 };
      this.states.set(key, state);
      if (event.time < this.minStart) this.minStart = event.time;
    }
    state.seen += 1;
    if (state.seen <= this.config.threshold || first) {
      out.push(event);
      return { store: out, id: event.id };
    }
    const aggregate = state.aggregate ??= {
      id: this.newId(),
      first: event.time, last: event.time, count: 0, sample: event,
      users: new Set(), tools: new Set(), runs: new Set(), agents: new Set(),
    };
    aggregate.count += 1;
    aggregate.first = Math.min(aggregate.first, event.time);
    aggregate.last = Math.max(aggregate.last, event.time);
    addCapped(aggregate.users, event.user);
    addCapped(aggregate.tools, event.tool);
    addCapped(aggregate.runs, event.runId);
    addCapped(aggregate.agents, event.agent);
    return { store: out, id: aggregate.id };
  }

  /**
   * Emits aggregates. `all`: every open aggregate (flush), keeping the windows' counts so a flood
   * stays folded afterwards. Otherwise only keys whose window has closed by `now`, forgetting them.
   */
  drain(now: number, all: boolean): PreparedEvent[] {
    const out: PreparedEvent[] = [];
    let minStart = Number.POSITIVE_INFINITY;
    for (const [key, state] of this.states) {
      const closed = now - state.start >= this.config.windowMs;
      if (state.aggregate && (all || closed)) {
        out.push(this.emit(state.aggregate));
        state.aggregate = undefined;
      }
      if (closed) this.states.delete(key);
      else if (state.start < minStart) minStart = state.start;
    }
    this.minStart = minStart;
    return out;
  }

  /** Epoch ms when the next window with an open aggregate closes. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const state of this.states.values()) {
      if (state.aggregate) next = Math.min(next ?? Number.POSITIVE_INFINITY, state.start + this.config.windowMs);
    }
    return next;
  }

  private emit(aggregate: Aggregate): PreparedEvent {
    const { sample } = aggregate;
    const only = (set: Set<string>): string | undefined => (set.size === 1 ? [...set][0] || undefined : undefined);
    const list = (set: Set<string>): JsonValue[] | undefined =>
      (set.size > 1 ? [...set].slice(0, DISTINCT_CAP).map((v) => v || null) : undefined);
    const details: Record<string, JsonValue> = {
      aggregated: true,
      count: aggregate.count,
      first: aggregate.first,
      last: aggregate.last,
      sample: sample.details ?? null,
    };
    for (const [name, set] of [['users', aggregate.users], ['tools', aggregate.tools], ['runIds', aggregate.runs], ['agents', aggregate.agents]] as const) {
      const values = list(set);
      if (values) details[name] = set.size > DISTINCT_CAP ? [...values, `…more`] : values;
    }
    const event: PreparedEvent = {
      id: aggregate.id,
      time: aggregate.last,
      type: sample.type,
      severity: sample.severity,
      count: aggregate.count,
      details,
    };
    const user = only(aggregate.users), tool = only(aggregate.tools), runId = only(aggregate.runs), agent = only(aggregate.agents);
    if (user !== undefined) event.user = user;
    if (tool !== undefined) event.tool = tool;
    if (runId !== undefined) event.runId = runId;
    if (agent !== undefined) event.agent = agent;
    if (sample.codeHash !== undefined && runId !== undefined) event.codeHash = sample.codeHash;
    // A source not hashed yet (code-hash.ts) travels with the aggregate and is hashed when it is written.
    const code = (sample as PreparedEvent & PendingCode)[CODE_SOURCE];
    if (code !== undefined && runId !== undefined && event.codeHash === undefined) (event as PreparedEvent & PendingCode)[CODE_SOURCE] = code;
    return event;
  }
}
