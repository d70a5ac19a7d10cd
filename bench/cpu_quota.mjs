// Runs a process under a CPU quota, as Lambda gives a function a share of a vCPU in
// proportion to its memory (1769 MB = one vCPU). Uses a cgroup of its own (v2 cpu.max, or
// v1 cpu.cfs_quota_us), so it needs root and a cpu controller; null where neither is.
import fs from 'node:fs';
import path from 'node:path';

const PERIOD_US = 100000;

function v2Root() {
  const root = '/sys/fs/cgroup';
  try {
    if (!fs.readFileSync(path.join(root, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('cpu')) return null;
    fs.writeFileSync(path.join(root, 'cgroup.subtree_control'), '+cpu');
    return root;
  } catch { return null; }
}

/**
 * A cgroup limited to `share` of one CPU; wrap(command, args) gives the spawn arguments
 * that start command inside it; remove() deletes the cgroup once its processes are gone.
 */
export function cpuQuota(name, share) {
  const quota = Math.round(PERIOD_US * share);
  let dir = null, procs = null;
  try {
    const v2 = v2Root();
    if (v2) {
      dir = path.join(v2, name);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
    } else {
      dir = path.join('/sys/fs/cgroup/cpu', name);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      fs.writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(quota));
    }
    procs = path.join(dir, 'cgroup.procs');
  } catch {
    if (dir) try { fs.rmdirSync(dir); } catch { /* not made */ }
    return null;
  }
  return {
    quotaUs: quota,
    periodUs: PERIOD_US,
    wrap: (command, args = []) => ({ command: '/bin/sh', args: ['-c', `echo $$ > ${procs} && exec "$0" "$@"`, command, ...args] }),
    remove: () => { try { fs.rmdirSync(dir); } catch { /* still busy: left for the system */ } },
  };
}
