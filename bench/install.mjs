// Benchmark for `mesh install` (run `npm run build` and `npm run testbed:setup` first): the default
// profile installed into a fresh testbed API server with `mesh install -y` (a child process: plan, apply
// in order, readiness waits, prune), next to the sum of bare round trips for the same objects applied one
// by one (server-side apply, sequential, no plan and no waits) into another fresh testbed. Both testbeds
// run controllers, a scheduler and a kwok node, so the Deployments become ready as in a cluster.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { loadTestbedSupport, WITH_NODES } from '../scripts/testbed/support.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const { resolveSpec } = await import(join(ROOT, 'dist/install/spec.js'));
const { renderComponents } = await import(join(ROOT, 'dist/install/render.js'));
const { sortObjects } = await import(join(ROOT, 'dist/install/manifest.js'));
const { loadKubeContext } = await import(join(ROOT, 'dist/kube/config.js'));
const { KubeRest } = await import(join(ROOT, 'dist/kube/rest.js'));
const { applyObject } = await import(join(ROOT, 'dist/kube/installer.js'));

let support;
try {
  support = await loadTestbedSupport();
} catch (err) {
  console.log(`install bench skipped: ${err.message}`);
  process.exit(0);
}

const objects = renderComponents(resolveSpec({})).flatMap((c) => sortObjects(c.objects));

// Bare round trips: each object applied on its own, one after the other.
{
  const tb = await support.startTestbed(WITH_NODES);
  try {
    const rest = new KubeRest(loadKubeContext({ kubeconfig: tb.kubeconfig }), 30_000);
    let total = 0;
    for (const o of objects) {
      const t0 = performance.now();
      await applyObject(rest, o, { force: true });
      total += performance.now() - t0;
    }
    console.log(
      `bare round trips: ${objects.length} objects applied one by one in ${total.toFixed(0)} ms (sum)`,
    );
  } finally {
    await tb.stop();
  }
}

// mesh install -y, end to end.
{
  const tb = await support.startTestbed(WITH_NODES);
  try {
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bin/mesh.js'), 'install', '-y', '--kubeconfig', tb.kubeconfig],
      {
        encoding: 'utf8',
      },
    );
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`mesh install failed (${r.status}): ${r.stderr}`);
    console.log(
      `mesh install -y (default profile): ${ms.toFixed(0)} ms wall, including process start, plan and readiness waits`,
    );
    const t1 = performance.now();
    const again = spawnSync(
      process.execPath,
      [join(ROOT, 'bin/mesh.js'), 'install', '-y', '--kubeconfig', tb.kubeconfig],
      {
        encoding: 'utf8',
      },
    );
    console.log(
      `mesh install -y again (empty plan): ${(performance.now() - t1).toFixed(0)} ms wall (exit ${again.status})`,
    );
  } finally {
    await tb.stop();
  }
}
