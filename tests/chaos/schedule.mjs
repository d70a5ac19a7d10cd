// The fault schedule of a chaos run, decided by a seed: for each DynamoDB request (in the
// order they reach the proxy) and each new connection, what the proxy does. The same seed
// gives the same decisions in the same order, so a failing run can be replayed. The mix
// changes as the run goes: calm stretches, brownouts and storms of a seeded length.

/** mulberry32: a small, fast, seedable PRNG (32-bit state) returning floats in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Faults a request can meet. Applied-and-lost ones are the ones exactly-once exists for.
export const FAULTS = [
  'apply-then-hold',    // applied, the reply held past the store's attempt timeout
  'apply-then-reset',   // applied, the connection reset instead of a reply
  'apply-then-500',     // applied, answered 500
  'apply-then-partial', // applied, half a reply
  'http500',            // refused with 500 before being applied
  'throttle',           // ThrottlingException
  'throughput',         // ProvisionedThroughputExceededException
  'reset',              // the connection reset before the request was applied
  'slow',               // applied and answered, slowly (within the timeout)
];

const PHASES = [
  { name: 'calm', rate: 0.03 },
  { name: 'brownout', rate: 0.35 },
  { name: 'storm', rate: 0.7 },
];

/** A schedule: decide(op) for the proxy's plan, refuseConnection() per new connection;
 * it injects nothing until on(). */
export function schedule(seed) {
  const random = prng(seed);
  const counts = Object.fromEntries([...FAULTS, 'refused', 'pass'].map((f) => [f, 0]));
  let phase = PHASES[0];
  let left = 0;
  let on = false; // on() once the doors are up: cold starts are not under test here
  const phases = [];
  const next = () => {
    if (left-- > 0) return;
    phase = PHASES[Math.floor(random() * PHASES.length)];
    left = 20 + Math.floor(random() * 120);
    phases.push(phase.name);
  };
  return {
    counts,
    phases,
    on() { on = true; },
    off() { on = false; },
    decide(op) {
      next();
      const roll = random();
      const pick = FAULTS[Math.floor(random() * FAULTS.length)];
      if (!on || roll >= phase.rate) {
        counts.pass++;
        return undefined;
      }
      // a GetItem or Query that is "applied" changes nothing; still a lost reply to it
      counts[pick]++;
      return pick;
    },
    refuseConnection() {
      const roll = random();
      if (!on || roll >= phase.rate / 4) return false;
      counts.refused++;
      return true;
    },
  };
}
