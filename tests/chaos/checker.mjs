// The history checker of the chaos test. Given every operation the clients ran (with when
// it was invoked and when it completed, and what it answered) and every item of the table
// as read at the end with faults off, it checks what the API promises under faults:
// - no 500s; every 503 carries Retry-After; a client timeout or a 503 is an unknown outcome;
// - no task exists that no request created, and no request created two tasks (each
//   request's title is unique to it: a keyed request's to its key and use);
// - all answers for one use of an Idempotency-Key name the same task;
// - per task, every answer (201, 200, 204, 304, 404, 412) and the final item are explained
//   by one linearization of the operations on that task, as a compare-and-set register
//   whose version rises by exactly 1 per applied write; an unknown outcome may or may not
//   have been applied (at any point after it was invoked).
// The per-task search is Wing & Gong's: small histories make brute force cheap.

const DEFINITE = new Set([200, 201, 204, 304, 400, 404, 412, 422]);
const UNKNOWN = new Set([0, 503]); // 0: the client gave up waiting

const unknown = (op) => UNKNOWN.has(op.status);

/** One line of an operation for a failure report. */
export function describe(op) {
  const what = {
    create: `POST title=${op.title}`,
    keyed: `POST key=${op.key} use=${op.use} title=${op.title}`,
    get: `GET ${op.id}`,
    patch: `PATCH ${op.id}${op.ifMatch != null ? ` If-Match:"${op.ifMatch}"` : ''} ${JSON.stringify(op.patch)}`,
    delete: `DELETE ${op.id}${op.ifMatch != null ? ` If-Match:"${op.ifMatch}"` : ''}`,
    list: 'GET /tasks',
  }[op.kind];
  const got = op.status === 0 ? 'no answer (client timeout)' : String(op.status);
  const body = op.resp ? ` ${JSON.stringify({ id: op.resp.id, version: op.resp.version, description: op.resp.description, status: op.resp.status })}` : '';
  return `#${op.i} client ${op.client} [${op.t0.toFixed(1)} .. ${op.t1 === Infinity ? 'inf' : op.t1.toFixed(1)}] ${what} -> ${got}${op.replayed ? ' (replayed)' : ''}${body}`;
}

// ---- the register model ----

// state: null (not created yet), 'deleted', or {v, title, description, status}
const live = (s) => s !== null && s !== 'deleted';
const stateKey = (s) => (live(s) ? `${s.v}|${s.description}|${s.status}` : String(s));

/** The states op may leave after state, given its answer; [] when the answer is impossible. */
function step(op, state, initial) {
  const done = !unknown(op);
  switch (op.kind) {
    case 'create':
      if (state !== null) return [];
      if (done && op.status !== 201) return [];
      if (done && op.resp.version !== 1) return [];
      return [initial];
    case 'keyed': // ensure created: the first applied one creates; the rest replay
      return [state === null ? initial : state];
    case 'get':
      if (!done) return [state];
      if (op.status === 404) return live(state) ? [] : [state];
      if (op.status === 200) {
        return live(state) && state.v === op.resp.version && state.description === op.resp.description &&
          state.status === op.resp.status && state.title === op.resp.title ? [state] : [];
      }
      return [];
    case 'patch': {
      const ok = live(state) && (op.ifMatch == null || op.ifMatch === state.v);
      const next = ok ? { ...state, v: state.v + 1, ...op.patch } : null;
      if (!done) return ok ? [next] : [state];
      if (op.status === 404) return live(state) ? [] : [state];
      if (op.status === 412) return live(state) && !ok ? [state] : [];
      if (op.status === 200) {
        return ok && op.resp.version === next.v && op.resp.description === next.description &&
          op.resp.status === next.status ? [next] : [];
      }
      return [];
    }
    case 'delete': {
      const ok = live(state) && (op.ifMatch == null || op.ifMatch === state.v);
      if (!done) return ok ? ['deleted'] : [state];
      if (op.status === 204) return ok ? ['deleted'] : [];
      if (op.status === 404) return live(state) ? [] : [state];
      if (op.status === 412) return live(state) && !ok ? [state] : [];
      return [];
    }
    default:
      return [];
  }
}

/**
 * Whether ops (all on one task) have a linearization that starts from "not created",
 * creates `initial`, and ends in a state finalOk accepts. Returns true, false, or
 * 'undecided' when the search grew past its budget (states explored, or milliseconds):
 * unknown outcomes never constrain the order, so many of them on one task multiply it.
 */
export function linearizable(ops, initial, finalOk, budget = 200000, budgetMs = 5000) {
  const started = Date.now();
  const sorted = [...ops].sort((a, b) => a.t0 - b.t0);
  const n = sorted.length;
  const must = sorted.map((op) => !unknown(op));
  const seen = new Set();
  let explored = 0;
  const dfs = (done, state) => {
    let minEnd = Infinity;
    let allMust = true;
    for (let j = 0; j < n; j++) {
      if (done & (1n << BigInt(j))) continue;
      if (must[j]) {
        allMust = false;
        if (sorted[j].t1 < minEnd) minEnd = sorted[j].t1;
      }
    }
    if (allMust && finalOk(state)) return true;
    const key = `${done}|${stateKey(state)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    if (++explored > budget || (explored % 5000 === 0 && Date.now() - started > budgetMs)) throw new Error('budget');
    for (let j = 0; j < n; j++) {
      if (done & (1n << BigInt(j))) continue;
      const op = sorted[j];
      if (op.t0 > minEnd) break; // sorted by t0: the rest started after some answer
      for (const next of step(op, state, initial)) {
        if (dfs(done | (1n << BigInt(j)), next)) return true;
      }
    }
    return false;
  };
  try {
    return dfs(0n, null);
  } catch (e) {
    if (e.message === 'budget') return 'undecided';
    throw e;
  }
}

// ---- the whole check ----

/**
 * ops: every operation (see chaos.mjs for the fields); items: the table's items as plain
 * objects. Returns {violations: [{kind, message, history: [lines]}], stats}.
 */
export function check({ ops, items }) {
  const violations = [];
  const fail = (kind, message, history = []) => violations.push({ kind, message, history: history.map(describe) });

  for (const op of ops) {
    if (!DEFINITE.has(op.status) && !UNKNOWN.has(op.status)) fail('bad status', `answered ${op.status}`, [op]);
    if (op.status === 503 && !op.retryAfter) fail('503 without Retry-After', 'a 503 must say when to retry', [op]);
    if (op.status === 400) fail('400 for a valid request', 'the clients send only valid requests', [op]);
  }

  const tasks = items.filter((it) => !String(it.id).startsWith('#') && !it.tomb);
  const tombs = new Map(items.filter((it) => it.tomb).map((it) => [it.id, it]));
  const byTitle = new Map();
  for (const t of tasks) byTitle.set(t.title, [...(byTitle.get(t.title) || []), t]);
  const creators = new Map(); // title -> the create/keyed ops that asked for it
  for (const op of ops) {
    if (op.kind === 'create' || op.kind === 'keyed') creators.set(op.title, [...(creators.get(op.title) || []), op]);
  }

  for (const [title, found] of byTitle) {
    const asked = creators.get(title) || [];
    if (found.length > 1) fail('two tasks for one request', `${found.length} tasks titled ${title}: ${found.map((t) => t.id).join(', ')}`, asked);
    if (!asked.length) {
      fail('a task no request created', `task ${found[0].id} titled ${title}`);
      continue;
    }
    if (asked.every((op) => !unknown(op) && op.status !== 201)) {
      fail('a task created by a refused request', `task ${found[0].id}`, asked);
    }
    for (const op of asked) {
      if (op.status === 201 && !found.some((t) => t.id === op.resp.id)) {
        // the acknowledged task is gone, yet another task has its title
        fail('two tasks for one request', `201 named ${op.resp.id} but the table has ${found.map((t) => t.id).join(', ')} for ${title}`, asked);
      }
    }
  }

  // one use of a key: one task, named by every answer
  for (const [title, asked] of creators) {
    if (asked[0].kind !== 'keyed') continue;
    const ids = new Set(asked.filter((op) => op.status === 201).map((op) => op.resp.id));
    if (ids.size > 1) fail('a key named two tasks', `${title}: ${[...ids].join(', ')}`, asked);
  }

  // per task: the title ties an id to the request(s) that created it
  const titleOf = new Map();
  for (const op of ops) {
    if (op.resp && op.resp.id && op.resp.title) titleOf.set(op.resp.id, op.resp.title);
    for (const it of op.items || []) titleOf.set(it.id, it.title);
  }
  for (const t of tasks) titleOf.set(t.id, t.title);
  const perTask = new Map();
  for (const op of ops) {
    if (op.id) perTask.set(op.id, [...(perTask.get(op.id) || []), op]);
  }
  let checked = 0;
  let undecided = 0;
  for (const [id, title] of titleOf) {
    const asked = (creators.get(title) || []).filter((op) => op.status !== 422 && op.status !== 400);
    const own = asked.filter((op) => op.kind === 'keyed' || !op.resp || op.resp.id === id || unknown(op));
    const history = [...own, ...(perTask.get(id) || [])];
    if (!own.length) {
      fail(asked.length ? 'two tasks for one request' : 'a task no request created',
        `task ${id} titled ${title} was seen${asked.length ? ', but its request was answered with another id' : ''}`, history);
      continue;
    }
    const initial = { v: 1, title, description: own[0].body.description, status: own[0].body.status };
    const item = tasks.find((t) => t.id === id);
    const finalOk = (s) => (item ? live(s) && s.v === item.version && s.description === item.description && s.status === item.status
      : tombs.has(id) ? s === 'deleted' : !live(s)); /* absent: never written, or deleted outright */
    const verdict = linearizable(history, initial, finalOk);
    checked++;
    if (verdict === 'undecided') undecided++;
    else if (!verdict) {
      const end = item ? `stored at version ${item.version}: ${JSON.stringify({ description: item.description, status: item.status })}` : tombs.has(id) ? 'deleted' : 'absent';
      fail('not linearizable', `task ${id}: no order of its operations explains every answer and the end state (${end})`, history);
    }
  }

  const outcomes = {};
  for (const op of ops) {
    const k = `${op.kind} ${op.status === 0 ? 'timeout' : op.status}`;
    outcomes[k] = (outcomes[k] || 0) + 1;
  }
  return { violations, stats: { ops: ops.length, tasks: tasks.length, tombstones: tombs.size, checked, undecided, outcomes } };
}
